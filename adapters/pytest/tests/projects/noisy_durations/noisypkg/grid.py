"""Cells of a grid."""


def cell(row, column, width):
    return row * width + column


def inside(index, width, height):
    return 0 <= index and index < width * height

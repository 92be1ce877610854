# tests/projects/ holds sample projects that the tests run pytest on; they are not tests here.
collect_ignore = ["projects"]

"""``python -m gremlins_pytest.worker``: see the package's docstring."""

import sys

from .loop import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m fcpkg_fem ...`` is the ``fcpkg`` command."""

import sys

from fcpkg_fem.cli.main import main

sys.exit(main())

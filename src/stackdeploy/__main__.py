"""`python -m stackdeploy` runs the `deploy` command."""

import sys

from stackdeploy.cli.main import main

sys.exit(main())

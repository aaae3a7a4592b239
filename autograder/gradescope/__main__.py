"""`python -m autograder.gradescope`: what run_autograder calls for every submission."""

import sys

from autograder.gradescope.entry import main

sys.exit(main())

import sys

from hybridbatch.cli import main

sys.exit(main())

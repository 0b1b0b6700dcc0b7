"""Put the repository root on sys.path, so that the tests import utils.py and the scripts in .ci/."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / ".ci"))

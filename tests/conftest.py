import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parents[1]

from hypothesis import settings

# Property tests are derandomised: the same examples on every machine, never flaky.
settings.register_profile("ska", derandomize=True, database=None, deadline=None)
settings.load_profile("ska")

"""An analysis worker starts with what it analyses with: no store, no matching engine. Their
imports were half a second of every worker's start, paid again for each replaced worker."""

from __future__ import annotations

import json
import subprocess
import sys


def test_a_worker_imports_its_stages_without_the_store_or_the_matching_engine() -> None:
    code = (
        "import json, sys\n"
        "import sichter.pipeline.workers\n"
        "from sichter.pipeline.stages import registry\n"
        "r = registry()\n"
        "print(json.dumps({'image': sorted(r.image), 'video': sorted(r.video),\n"
        "                  'loaded': [m for m in ('sqlalchemy', 'sichter.matching.engine',\n"
        "                                         'sichter.classify.triage_run')\n"
        "                             if m in sys.modules]}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    seen = json.loads(out.stdout)
    assert {"ai", "pdq_dihedral", "orb_ransac"} <= set(seen["image"]) and seen["video"]
    assert seen["loaded"] == []


def test_a_matching_run_still_gets_the_robust_and_video_matchers() -> None:
    from sichter.matching import engine
    from sichter.pipeline.stages import registry

    for load in registry().matchers.values():
        load()
    names = {m.name for m in engine.MATCHERS}
    assert {"orb_ransac", "vpdq"} <= names

"""The instructor's nbgrader commands: ``python -m dlclinic.grading release|dedupe`` (see ``__main__``).

``generate_release`` regenerates ``exercises/<slug>/`` from ``solutions/<slug>/``; ``dedupe_grade_ids`` repairs
a submission with a copied graded cell. The machinery that tests the assignments (throw-away courses, mutants,
the scripted class) lives with the tests, under ``tests/harness/``.
"""

from dlclinic.grading.course import NbgraderError, assignment_slugs, generate_release, run_nbgrader
from dlclinic.grading.dedupe import dedupe_file, dedupe_grade_ids

__all__ = [
    "NbgraderError",
    "assignment_slugs",
    "dedupe_file",
    "dedupe_grade_ids",
    "generate_release",
    "run_nbgrader",
]

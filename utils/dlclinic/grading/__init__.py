"""The instructor's grading commands (``python -m dlclinic.grading --help``): release, autograde, audit, scan,
repair, dedupe, feedback, export.

One module per step: ``course`` (running nbgrader, releasing), ``sandbox`` (bubblewrap), ``inside`` (the
nbgrader run inside the sandbox), ``autograde`` (a sandbox per submission, scores merged into the gradebook),
``handout`` (what a hidden test cell uses inside the kernel: the grader's inputs, handing answers out),
``outside`` (the assignment's check module deciding the scores outside the kernel), ``codec`` (the values
that cross the sandbox's wall), ``stubs`` (the sandbox's ``dlclinic`` without the graded names),
``gradebook`` (snapshots and private copies), ``record`` (what the last grading left for the audit), ``audit``,
``scan`` (the tripwire), ``repair`` (the release's nbgrader metadata re-applied; ``dedupe`` is its copied-cell
part), ``harmless`` (student HTML cleaned before the Formgrader or the feedback renders it), ``feedback``
(nbgrader's reports with MathJax inlined, a content-security policy and named tests), ``export`` (grades with a
status, merged across assignments), ``notebooks`` (reading submissions). The
machinery that tests the assignments (throw-away courses, mutants, the scripted class, the attacks) lives with
the tests, under ``tests/harness/``.
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

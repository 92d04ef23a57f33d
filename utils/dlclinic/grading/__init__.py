"""Grading machinery: autograde the course's nbgrader assignments in throw-away course directories.

``make_course`` copies ``solutions/<slug>/`` and generates its release; ``autograde`` grades notebooks as
students' submissions and returns per-cell ``Scores``; ``diff_release_dirs`` compares releases;
``mutant_submission`` builds a submission with one deliberate mistake.
"""

from dlclinic.grading.autograde import autograde, read_scores
from dlclinic.grading.cells import answer_ids, cells_by_id, owner, tests_of
from dlclinic.grading.course import Course, NbgraderError, generate_release, make_course, run_nbgrader
from dlclinic.grading.mutants import (
    Mutant,
    MutantError,
    load_mutant,
    mutant_files,
    mutant_submission,
    parse_mutant,
    solved_submission,
)
from dlclinic.grading.release_diff import diff_release_dirs, notebook_diff
from dlclinic.grading.scores import CellScore, Scores

__all__ = [
    "CellScore",
    "Course",
    "Mutant",
    "MutantError",
    "NbgraderError",
    "Scores",
    "answer_ids",
    "autograde",
    "cells_by_id",
    "diff_release_dirs",
    "generate_release",
    "load_mutant",
    "make_course",
    "mutant_files",
    "mutant_submission",
    "notebook_diff",
    "owner",
    "parse_mutant",
    "read_scores",
    "run_nbgrader",
    "solved_submission",
    "tests_of",
]

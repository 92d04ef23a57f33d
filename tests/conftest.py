"""Shared pytest configuration."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "grading: autogrades course notebooks with nbgrader (slow; deselect with -m 'not grading')"
    )
    config.addinivalue_line(
        "markers", "slow: executes the case notebooks in quick mode (minutes; deselect with -m 'not slow')"
    )
    config.addinivalue_line(
        "markers", "book: builds the Jupyter Book (~15 s; needs npm ci; deselect with -m 'not book')"
    )

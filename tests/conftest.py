"""Shared pytest configuration."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "grading: autogrades course notebooks with nbgrader (slow; deselect with -m 'not grading')"
    )

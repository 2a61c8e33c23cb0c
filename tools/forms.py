"""Forms built from a tool version's typed input schema (filled in by the runs work)."""


def run_form_for(version, data=None):
    return None

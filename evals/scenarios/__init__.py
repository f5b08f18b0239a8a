"""Scenario machinery beside the scenario YAML files of this folder: the scenario graders (typed configs and
:func:`~evals.scenarios.graders.grade`), the JSON and tool-trace graders, the rubric judge's prompt and verdict, code
tests in the sandbox, text statistics, and the tool runtime (builtin tools, the tool loop). The suite itself is
:mod:`evals.suites.scenarios`."""

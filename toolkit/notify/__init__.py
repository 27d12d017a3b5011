"""Telling owners that an automation fails, and that it recovered (`autokit notify`).

github    a small client of GitHub's REST API: issues, comments, labels
text      run text made safe for GitHub Markdown and chat
settings  `notify:` of the metadata with the `[tool.autokit]` defaults
rules     what a run's end means for the failure issue
channels  the chat webhook and email, told of failures and recoveries
"""

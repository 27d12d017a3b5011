"""`autokit upgrade`: bring a template's later versions into the automations made from it.

record   the `template:` record in automation.yaml (written by `autokit new`)
history  a template's versions as Git has them (first-parent history of HEAD)
merge    the three-way merge of one automation's files (`git merge-file`)
plan     which automations are behind, and what upgrading each would write
"""

# JupyterLab settings for the course, used by `make lab` and by the browser test.
c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

# Serve only on this machine.
c.ServerApp.ip = "127.0.0.1"
# Learners work offline: no news feed, no update check.
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

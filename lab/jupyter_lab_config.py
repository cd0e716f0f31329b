# JupyterLab settings for the course, used by `make lab` and by the browser test.
c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

# Serve only on this machine.
c.ServerApp.ip = "127.0.0.1"
# Containers and CI machines often run everything as root, where Jupyter refuses to start
# unless told otherwise. The server listens on this machine only and still asks for its token.
c.ServerApp.allow_root = True

# Learners work offline: no news feed, no update check, no extension search on PyPI.
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.LabApp.extension_manager = "readonly"


# With the feed off, the page would still ask "get notified about official Jupyter news?".
# The plugin that asks is the one that shows news and updates, so it has nothing left to do.
def _without_announcements(handler, page_config):
    plugin = "@jupyterlab/apputils-extension:announcements"
    disabled = page_config.get("disabledExtensions", [])
    if plugin not in disabled:
        page_config["disabledExtensions"] = [*disabled, plugin]
    return page_config


c.LabApp.settings = {"page_config_hook": _without_announcements}

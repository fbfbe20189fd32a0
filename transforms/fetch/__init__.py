"""Fetch stage: feeds over HTTP or from files, politely, with state between runs."""

from transforms import stage_exports

_EXPORTS = {"FetchFeeds": "transforms", "PollFeeds": "transforms", "ReplayRaw": "transforms",
            "SaveFeedStates": "transforms", "FetchConfig": "fetch",
            "fetch_feed": "fetch", "FeedState": "feed_state"}
__all__ = sorted(_EXPORTS)
__getattr__ = stage_exports(__name__, _EXPORTS)

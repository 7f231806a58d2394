"""The demo night's generated films: made once, made again only when their recipe changes."""

from __future__ import annotations

from player.media.probe import probe
from support import demo


def test_made_once_and_again_when_the_recipe_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "SECONDS", 1)
    monkeypatch.setattr(
        demo, "DEMO_FILMS", {"tiny.mp4": {"width": 160, "height": 90, "label": "Tiny"}}
    )
    [clip] = demo.ensure_demo_media(tmp_path)
    assert probe(clip, use_cache=False).video.width == 160
    made = clip.stat().st_mtime_ns
    demo.ensure_demo_media(tmp_path)
    assert clip.stat().st_mtime_ns == made  # up to date: left alone
    monkeypatch.setattr(demo, "LOOK", demo.LOOK + 1)
    demo.ensure_demo_media(tmp_path)
    assert clip.stat().st_mtime_ns != made  # the look changed: made again

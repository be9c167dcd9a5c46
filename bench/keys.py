"""Field encryption keys for benchmark runs."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path


def bench_key_files(root: Path) -> dict[str, str]:
    """Production runs (DEBUG=0) need field encryption keys (decision 0028): the benchmark keeps
    its own under var/bench-keys, made once, so a seeded database stays readable across runs."""
    folder = root / "var" / "bench-keys"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files = {"CIVICDESK_FIELD_KEYS_FILE": "field-keys", "CIVICDESK_INDEX_KEY_FILE": "index-key"}
    paths = {}
    for setting, name in files.items():
        path = folder / name
        if not path.exists():
            key = base64.b64encode(secrets.token_bytes(32)).decode()
            path.write_text(f"bench1:{key}\n" if name == "field-keys" else key + "\n")
            path.chmod(0o600)
        paths[setting] = str(path)
    return paths

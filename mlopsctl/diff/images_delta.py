"""Image changes between two plans: which images a PR adds, removes or re-points, from each plan's inventory
(``deploy.images``: the image each resource runs and the upstream image it stands for).

Images are matched by their upstream repository (``quay.io/jetstack/cert-manager-controller``): one image on
each side under the same upstream is a change (new tag, digest, or registry: e.g. now pulled through the stack's
ECR), anything else is added or removed. Pure data in, pure data out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contracts.registry import origin, parse_reference
from mlopsctl.diff.model import ImageChange, ImageEntry


def image_entry(raw: Mapping[str, Any]) -> ImageEntry | None:
    """An inventory entry of a plan (``deploy.images[i]``); None for a chart the plan could not list."""
    image = raw.get("image")
    if not isinstance(image, str) or not image or not raw.get("registry"):
        return None
    upstream = raw.get("upstream")
    if not isinstance(upstream, str) or not upstream:
        # Plans written before the inventory named upstreams: derive it from the reference.
        found = origin(parse_reference(image))
        upstream = found.upstream.image if found.upstream is not None else image
    return ImageEntry(image=image, upstream=upstream)


def _key(entry: ImageEntry) -> str:
    return parse_reference(entry.upstream).name


def _describe(before: ImageEntry, after: ImageEntry) -> str:
    old, new = parse_reference(before.image), parse_reference(after.image)
    parts = []
    if old.name != new.name:
        parts.append(f"pulled from {new.registry} (was {old.registry})" if old.registry != new.registry else "moved")
    if (old.tag, old.digest) != (new.tag, new.digest):
        parts.append(f"tag {old.tag or old.digest or 'chart default'} → {new.tag or new.digest or 'chart default'}")
    return "; ".join(parts) or "changed"


def image_delta(base: Iterable[ImageEntry], head: Iterable[ImageEntry]) -> tuple[ImageChange, ...]:
    """Added, removed and changed images, sorted by upstream repository, then kind.

    Within one upstream repository, images standing for the same upstream reference (same tag or digest) pair up
    first (a move to another registry); then one leftover on each side is a new tag; the rest are added/removed.
    """
    before: dict[str, set[ImageEntry]] = {}
    after: dict[str, set[ImageEntry]] = {}
    for entry in base:
        before.setdefault(_key(entry), set()).add(entry)
    for entry in head:
        after.setdefault(_key(entry), set()).add(entry)
    changes: list[ImageChange] = []
    for key in sorted(set(before) | set(after)):
        old = sorted(before.get(key, set()) - after.get(key, set()), key=lambda e: e.image)
        new = sorted(after.get(key, set()) - before.get(key, set()), key=lambda e: e.image)
        for o in list(old):
            same = next((n for n in new if n.upstream == o.upstream), None)
            if same is not None:
                changes.append(ImageChange("changed", key, o.image, same.image, _describe(o, same)))
                old.remove(o)
                new.remove(same)
        if len(old) == 1 and len(new) == 1:
            changes.append(ImageChange("changed", key, old[0].image, new[0].image, _describe(old[0], new[0])))
            continue
        changes += [ImageChange("removed", key, o.image, None) for o in old]
        changes += [ImageChange("added", key, None, n.image) for n in new]
    return tuple(changes)


__all__ = ["image_delta", "image_entry"]

"""Where Nushell itself comes from, for `[tool] nu`: release archives, with a checksum known before unpacking.

Two layouts, chosen by the location (`nu-source` in config.toml, NUPM_NU_SOURCE overriding it):

- Nushell's GitHub releases, the default: `<location>/<version>/nu-<version>-<target>.tar.gz`, checked against
  `<location>/<version>/SHA256SUMS` (published with every release since 0.99). A mirror or a local directory
  laid out the same way works as it is; a local directory also lists its versions (its subdirectories).
- `npm` or `npm:<registry URL>`: the npm registry's `@nushell/<platform>` packages (what `npm install
  nushell` installs), versions listed in the package document, each tarball with its sha512 `integrity`.

Only the npm layout and local directories can list versions, so a range in `[tool] nu` (`~0.107`) needs one
of them or a version already in the store; an exact version needs nothing listed.
"""

from __future__ import annotations

import base64
import os
import platform
from pathlib import Path

from nupm import digest
from nupm.errors import NupmError
from nupm.versions import Version, VersionError

GITHUB = "https://github.com/nushell/nushell/releases/download"
NPM = "https://registry.npmjs.org"


class ReleaseError(NupmError):
    pass


def host_target() -> str:
    """The Rust target triple of Nushell's release archive for this machine."""
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine().lower(), platform.machine().lower())
    system = platform.system().lower()
    if system == "darwin":
        return f"{machine}-apple-darwin"
    return f"{machine}-unknown-linux-{'musl' if _is_musl() else 'gnu'}"


def _is_musl() -> bool:
    libc, _ = platform.libc_ver()
    return libc != "glibc" and any(Path("/lib").glob("ld-musl-*"))


def npm_platform() -> str:
    """The suffix of the npm package `@nushell/<platform>` for this machine."""
    machine = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64"}.get(platform.machine().lower(), platform.machine())
    return f"{platform.system().lower()}-{machine}"


def open_releases(location: str | None, client) -> Releases:
    """The Nushell source at `location` (None: the official GitHub releases)."""
    location = (location or GITHUB).strip()
    if location == "npm" or location.startswith("npm:"):
        return NpmReleases(location.removeprefix("npm").removeprefix(":") or NPM, client)
    return ArchiveReleases(location, client)


class Releases:
    """A Nushell source: which versions it has, each one's archive URL and its sha256."""

    name: str

    def versions(self) -> list[Version] | None:
        """Every version offered, or None where the source cannot list them."""
        raise NotImplementedError

    def archive_url(self, version: str) -> str:
        raise NotImplementedError

    def sha256(self, version: str) -> str:
        raise NotImplementedError


class ArchiveReleases(Releases):
    """GitHub's release layout, at GitHub, on a mirror, or in a local directory."""

    def __init__(self, location: str, client):
        self.is_url = location.startswith(("http://", "https://"))
        self.base = location.rstrip("/") if self.is_url else os.path.abspath(os.path.expanduser(location))
        self.client = client
        self.target = host_target()
        self.name = f"Nushell releases at {self.base}"

    def _file(self, version: str) -> str:
        return f"nu-{version}-{self.target}.tar.gz"

    def _where(self, version: str, name: str) -> str:
        return f"{self.base}/{version}/{name}" if self.is_url else os.path.join(self.base, version, name)

    def archive_url(self, version: str) -> str:
        where = self._where(version, self._file(version))
        return where if self.is_url else Path(where).as_uri()

    def versions(self) -> list[Version] | None:
        if self.is_url:
            return None
        found = []
        try:
            names = os.listdir(self.base)
        except OSError as e:
            raise ReleaseError(f"Nushell source {self.base}: {e.strerror}") from None
        for name in names:
            try:
                version = Version(name)
            except VersionError:
                continue
            if os.path.isfile(self._where(name, self._file(name))):
                found.append(version)
        return found

    def sha256(self, version: str) -> str:
        sums = self._where(version, "SHA256SUMS")
        data = self._read(sums, version)
        wanted = self._file(version)
        for line in data.decode("utf-8", "replace").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("*") == wanted and len(parts[0]) == 64:
                return parts[0].lower()
        raise ReleaseError(f"{sums} has no checksum for {wanted}; refusing an archive nupm cannot check")

    def _read(self, where: str, version: str) -> bytes:
        from nupm.sources.http import NotFound

        try:
            return self.client.get(where) if self.is_url else Path(where).read_bytes()
        except (NotFound, FileNotFoundError):
            raise ReleaseError(f"Nushell {version}: {where} not found (releases before 0.99 publish no "
                               "SHA256SUMS: use nu-source = \"npm\" for them)") from None


class NpmReleases(Releases):
    """The npm registry's `@nushell/<platform>` packages: one document lists every version and checksum."""

    def __init__(self, registry: str, client):
        self.registry = registry.rstrip("/")
        self.client = client
        self.package = f"@nushell/{npm_platform()}"
        self.name = f"npm package {self.package} at {self.registry}"
        self._document: dict | None = None

    def _versions(self) -> dict:
        if self._document is None:
            where = f"{self.registry}/{self.package.replace('/', '%2F')}"
            from nupm.sources.http import NotFound
            from nupm.sources.registry import parse_json

            try:
                raw = self.client.get(where)
            except NotFound:
                raise ReleaseError(f"{where}: no such npm package") from None
            document = parse_json(raw, where)
            versions = document.get("versions") if isinstance(document, dict) else None
            self._document = versions if isinstance(versions, dict) else {}
        return self._document

    def _dist(self, version: str) -> dict:
        found = self._versions().get(version)
        dist = found.get("dist") if isinstance(found, dict) else None
        if not isinstance(dist, dict) or not isinstance(dist.get("tarball"), str):
            raise ReleaseError(f"{self.name} has no Nushell {version}")
        if not dist["tarball"].startswith(("https://", "http://")):
            # What the registry names is downloaded, never read from this machine (a file:// URL).
            raise ReleaseError(f"{self.name}: Nushell {version}'s tarball is not an http(s) URL; refusing it")
        return dist

    def versions(self) -> list[Version] | None:
        found = []
        for text in self._versions():
            try:
                found.append(Version(text))
            except VersionError:
                continue
        return found

    def archive_url(self, version: str) -> str:
        return self._dist(version)["tarball"]

    def sha256(self, version: str) -> str:
        """npm states a sha512 `integrity`: the tarball is fetched and checked against it once, and its
        sha256 is what the lock records (and every later install checks)."""
        dist = self._dist(version)
        integrity = str(dist.get("integrity") or "")
        if not integrity.startswith("sha512-"):
            raise ReleaseError(f"{self.name} states no sha512 integrity for {version}; refusing it")
        data = self.client.get(dist["tarball"])
        from hashlib import sha512  # here: only this check needs OpenSSL's sha512

        if base64.b64encode(sha512(data).digest()).decode() != integrity.removeprefix("sha512-"):
            raise ReleaseError(f"{dist['tarball']}: does not match the integrity {self.name} states; refusing it")
        from nupm.sources.archive import remember

        remember(dist["tarball"], data)  # the install unpacks these bytes (its sha256 is checked again there)
        return digest.sha256(data).hexdigest()

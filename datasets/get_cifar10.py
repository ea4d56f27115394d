"""Download CIFAR-10 (python version), verify its checksum and extract it.

    python datasets/get_cifar10.py [--dest DIR]

Creates DIR/cifar-10-batches-py/ (default DIR: this datasets/ folder).
The archive's MD5 is the one published by the dataset's authors; a
mismatch deletes the download and stops with an error.
"""
import argparse
import hashlib
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
MD5 = "c58f30108f718f92721af3b95e74349a"
FOLDER = "cifar-10-batches-py"
HERE = Path(__file__).resolve().parent


def md5sum(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url, target):
    """Stream url to target, printing a progress line."""
    with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0)
        done = 0
        for block in iter(lambda: response.read(1 << 20), b""):
            out.write(block)
            done += len(block)
            if total:
                print(f"\r{done / 1e6:6.1f} / {total / 1e6:.1f} MB", end="", flush=True)
    print()


def safe_extract(archive, dest):
    """Extract a tar.gz, refusing members that would land outside dest."""
    dest = Path(dest).resolve()
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            target = (dest / member.name).resolve()
            if dest != target and dest not in target.parents:
                raise RuntimeError(f"refusing to extract {member.name!r} outside {dest}")
            if not (member.isfile() or member.isdir()):
                raise RuntimeError(f"refusing to extract non-regular member {member.name!r}")
        tar.extractall(dest)


def fetch(dest=HERE, url=URL, md5=MD5):
    """Download, verify and extract; returns the extracted folder."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    folder = dest / FOLDER
    if (folder / "test_batch").exists():
        print(f"{folder} already exists")
        return folder
    archive = dest / "cifar-10-python.tar.gz"
    partial = archive.with_suffix(".part")
    if not archive.exists():
        print(f"downloading {url}")
        download(url, partial)
        partial.rename(archive)
    found = md5sum(archive)
    if found != md5:
        archive.unlink()
        raise RuntimeError(f"checksum mismatch for {archive.name}: MD5 {found}, expected {md5}; "
                           "the file was deleted, run the command again")
    safe_extract(archive, dest)
    archive.unlink()
    print(f"CIFAR-10 ready in {folder}")
    return folder


def main():
    parser = argparse.ArgumentParser(description="Download and verify CIFAR-10.")
    parser.add_argument("--dest", default=str(HERE), help="folder to put cifar-10-batches-py in")
    parser.add_argument("--url", default=URL, help=argparse.SUPPRESS)
    parser.add_argument("--md5", default=MD5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        fetch(args.dest, args.url, args.md5)
    except (OSError, RuntimeError) as exc:
        shutil.rmtree(Path(args.dest) / FOLDER, ignore_errors=True)
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()

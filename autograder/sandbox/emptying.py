"""Putting a writable folder of the sandbox back as it was before a job: emptied, and its mode,
times and extended attributes restored.

Runs INSIDE the sandbox (the zygote empties its folders between jobs with it), and in the
grader, which removes a fresh rlimits job's folders with the same code (run/folders.py). It
needs the standard library only. Emptying is iterative, one open descriptor at a time, and
never follows a link: a child may leave a tree of any depth, folders closed to their owner,
links to anywhere and mount points, and none of it may make the clean-up fail or recurse.
"""

from __future__ import annotations

import os
import stat


class _Walk:
    """One emptying: `stuck` once something could not be removed (a mount point is not stuck)."""

    def __init__(self):
        self.stuck = False

    def scan(self, fd: int) -> list[str]:
        """Unlink every entry of the open folder `fd` that is not a folder; the names of its folders."""
        folders = []
        try:
            with os.scandir(fd) as entries:
                names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        except OSError:
            self.stuck = True
            return []
        for name, is_dir in names:
            if is_dir:
                folders.append(name)
                continue
            try:
                os.unlink(name, dir_fd=fd)
            except FileNotFoundError:
                pass
            except OSError:
                self.stuck = True
        return folders

    def open_folder(self, name: str, parent: int) -> int | None:
        """The folder `name` of the open folder `parent`, opened (made readable first if it must be)."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
        try:
            return os.open(name, flags, dir_fd=parent)
        except PermissionError:
            try:
                os.chmod(name, 0o700, dir_fd=parent)  # a folder the child closed to its own uid
                return os.open(name, flags, dir_fd=parent)
            except OSError:
                pass
        except FileNotFoundError:
            return None
        except OSError:
            pass
        self.stuck = True
        return None


def empty(folder: str) -> bool:
    """Remove everything inside `folder`, whatever a child left there: a tree of any depth or
    width (iteratively: no recursion limit, no path too long, one open descriptor at a time),
    folders without permissions, links (removed, never followed). Mount points are left alone
    (the job's own folder shown in a private /tmp is emptied on its own). Called once every
    process that could write there is dead. Never raises; says whether everything but mount
    points is gone (a folder that is not there is empty)."""
    folder = os.path.abspath(folder)
    if not os.path.lexists(folder):
        return True
    walk = _Walk()
    try:
        parent = os.open(os.path.dirname(folder), os.O_PATH | os.O_DIRECTORY)  # may be closed to reading
    except OSError:
        return False
    try:
        fd = walk.open_folder(os.path.basename(folder), parent)
    finally:
        os.close(parent)
    if fd is None:
        return False
    try:
        top = os.fstat(fd)
        if top.st_uid == os.geteuid() and top.st_mode & 0o700 != 0o700:
            os.fchmod(fd, top.st_mode | 0o700)  # its entries must be removable (restore() puts the mode back)
        here = (top.st_dev, top.st_ino)
        pending = walk.scan(fd)
        above: list[tuple[list[str], str, tuple[int, int]]] = []  # per level: folders left, this one's name, parent's id
        while True:
            if pending:
                name = pending.pop()
                try:
                    os.rmdir(name, dir_fd=fd)
                    continue
                except OSError:
                    pass
                try:
                    if os.stat(name, dir_fd=fd, follow_symlinks=False).st_dev != top.st_dev:
                        continue  # a mount point
                except OSError:
                    continue
                sub = walk.open_folder(name, fd)
                if sub is None:
                    continue
                st = os.fstat(sub)
                if st.st_dev != top.st_dev:  # mounted meanwhile
                    os.close(sub)
                    continue
                try:
                    os.fchmod(sub, 0o700)  # its entries must be removable
                except OSError:
                    pass
                above.append((pending, name, here))
                os.close(fd)
                fd, here, pending = sub, (st.st_dev, st.st_ino), walk.scan(sub)
                continue
            if not above:
                return not walk.stuck
            pending, name, parent_id = above.pop()
            up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = up
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != parent_id:  # moved meanwhile: not ours to go on with
                return False
            here = parent_id
            try:
                os.rmdir(name, dir_fd=fd)
            except OSError:
                pass  # it holds a mount point, or something in it was stuck (noted there)
    except OSError:
        return False
    finally:
        try:
            os.close(fd)
        except OSError:
            pass


def attributes(folder: str):
    """What a job may change on a folder it may write but not replace (rlimits mode: its own
    working folder): mode, times, extended attributes (ACLs among them). None: not there."""
    try:
        st = os.stat(folder, follow_symlinks=False)
        names = os.listxattr(folder, follow_symlinks=False)
        xattrs = {n: os.getxattr(folder, n, follow_symlinks=False) for n in names}
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode), st.st_atime_ns, st.st_mtime_ns, xattrs


def restore(folder: str, before) -> bool:
    """Put back `attributes(folder)` as they were before the job (they could carry a message to the
    next one); whether they are back, or the folder is not this uid's (so no job could change them)."""
    if before is None:
        return not os.path.lexists(folder)
    mode, atime, mtime, xattrs = before
    try:
        for name in os.listxattr(folder, follow_symlinks=False):
            if name not in xattrs:
                os.removexattr(folder, name, follow_symlinks=False)
        for name, value in xattrs.items():
            os.setxattr(folder, name, value, follow_symlinks=False)
        os.chmod(folder, mode)
        os.utime(folder, ns=(atime, mtime))
    except OSError:
        pass
    now = attributes(folder)
    try:
        theirs = os.stat(folder, follow_symlinks=False).st_uid != os.getuid()
    except OSError:
        return False
    return theirs or (now is not None and now[0] == mode and now[2] == mtime and now[3] == xattrs)


def remove(path: str) -> None:
    """Remove `path` (a file, a link, or a folder and everything in it, as `empty` does). Never raises."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    try:
        if stat.S_ISDIR(st.st_mode):
            empty(path)
            os.chmod(path, 0o700)
            os.rmdir(path)
        else:
            os.unlink(path)
    except OSError:
        pass


def remove_files_of(uid: int, folders) -> None:
    """Remove what `uid` left at the top of the machine's shared folders (every folder all users
    may write): a job without a private view of them, or its zygote after it. Mount points are
    left alone. Never raises."""
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            try:
                if os.lstat(path).st_uid != uid or os.path.ismount(path):
                    continue
            except OSError:
                continue
            remove(path)  # however deep the job made it

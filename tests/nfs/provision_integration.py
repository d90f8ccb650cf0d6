#!/usr/bin/python3
"""rpi-nfs-exports provision, against golden roots an attacker or an odd image could shape.

Runs in the private mount and network namespace of nfs_ns.py (the drop-in lands in the sandbox's
own /etc/exports.d; --no-reload: no server is needed to judge the copy). What it checks:
- a --from that is a symlink (or a file) is refused and nothing is created;
- symlinks inside the golden root, pointing into it or outside it, are copied as links and never
  written through: the golden root and the outside files are byte-identical afterwards (a hash of
  every entry's bytes, link target, mode, owner and mtime, before and after);
- the per-machine secrets and identities (machine-id, the D-Bus copy, SSH host keys, the random
  seed, systemd-creds' secret, dhcpcd's DUID) are reset in the copy and untouched in the golden
  root; SSH keys are made anew by ssh-keygen, or by Raspberry Pi OS's own unit when the copy has it.
"""

import hashlib
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nfs_ns  # noqa: E402
from nfs_ns import netlab  # noqa: E402

SB = None
GOLDEN_ID = "0123456789abcdef0123456789abcdef\n"
SECRETS = {"etc/machine-id": GOLDEN_ID, "var/lib/dbus/machine-id": GOLDEN_ID,
           "etc/ssh/ssh_host_ed25519_key": "golden private key\n",
           "etc/ssh/ssh_host_ed25519_key.pub": "golden public key\n",
           "etc/ssh/ssh_host_rsa_key-cert.pub": "golden certificate\n",
           "var/lib/systemd/random-seed": "golden seed\n",
           "var/lib/systemd/credential.secret": "golden credential secret\n",
           "var/lib/dhcpcd/duid": "golden duid\n", "var/lib/dhcpcd5/duid": "golden duid\n"}
REGEN_UNIT = "regenerate_ssh_host_keys.service"


def tree_hash(root):
    """One digest over every entry below root (not following links): path, type, mode, owner,
    mtime, and the bytes of files or the target of links."""
    h = hashlib.sha256()
    for dirpath, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            h.update(f"{os.path.relpath(p, root)}\0{st.st_mode}\0{st.st_uid}\0{st.st_gid}\0"
                     f"{st.st_mtime_ns}\0".encode())
            if os.path.islink(p):
                h.update(os.readlink(p).encode())
            elif os.path.isfile(p):
                with open(p, "rb") as f:
                    h.update(f.read())
    st = os.lstat(root)
    h.update(f"{st.st_mode}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def write(root, rel, text, mode=0o644):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)


def make_golden(root, regen_unit=False):
    write(root, "boot/firmware/cmdline.txt", "console=tty1 root=PARTUUID=4e639091-02 rootwait\n")
    write(root, "etc/fstab", "PARTUUID=4e639091-02  /  ext4  defaults  0  1\n")
    write(root, "etc/hostname", "raspberrypi\n")
    write(root, "etc/hosts", "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n")
    write(root, "etc/ssh/sshd_config", "PermitRootLogin no\n")
    for rel, text in SECRETS.items():
        write(root, rel, text, 0o600 if "key" in rel or "secret" in rel else 0o644)
    if regen_unit:
        write(root, "usr/lib/systemd/system/" + REGEN_UNIT, "[Unit]\nDescription=test\n")
        os.makedirs(os.path.join(root, "etc/systemd/system/multi-user.target.wants"))
        os.symlink("usr/lib", os.path.join(root, "lib"))  # merged /usr, as on bookworm


def tool(*args):
    argv = [nfs_ns.tool_path(), "--base", SB.path("srv", "pi"), "--no-reload"] + list(args)
    return netlab.run(argv, check=False, timeout=120)


def provision(serial, golden, *extra):
    return tool("provision", serial, "--from", golden, "--client", "192.0.2.10",
                "--server", "192.0.2.1", *extra)


def setUpModule():
    global SB
    SB = nfs_ns.Sandbox()
    os.makedirs(SB.path("srv", "pi"))


def tearDownModule():
    SB.close()


class Provision(unittest.TestCase):
    def assertOk(self, r):
        self.assertEqual(r.returncode, 0, f"stdout: {r.stdout}\nstderr: {r.stderr}")

    def assertNothingCreated(self):
        self.assertEqual(sorted(os.listdir(SB.path("srv", "pi"))),
                         sorted(getattr(self, "known", [])))

    def setUp(self):
        self.known = os.listdir(SB.path("srv", "pi"))

    def test_symlinked_or_file_source_refused(self):
        golden = SB.path("golden-refused")
        make_golden(golden)
        before = tree_hash(golden)
        link = SB.path("golden-link")
        os.symlink(golden, link)
        for source in (link, link + "/", link + "//", link + "/.", link + "/./",
                       os.path.join(golden, "etc/hostname"),
                       SB.path("missing")):
            r = provision("11111111", source)
            self.assertEqual(r.returncode, 2, f"{source}: {r.stdout}{r.stderr}")
            self.assertNothingCreated()
        r = provision("11111111", link)
        self.assertIn("is a symbolic link", r.stderr)
        self.assertEqual(tree_hash(golden), before)
        # The directory itself is accepted (the refusal is of the link, not of the tree).
        self.assertOk(provision("11111111", golden))
        self.assertEqual(tree_hash(golden), before)

    def test_links_in_golden_copied_as_links_never_written_through(self):
        golden = SB.path("golden-links")
        outside = SB.path("outside")
        make_golden(golden)
        write(outside, "secret", "outside the golden root\n")
        write(outside, "id", GOLDEN_ID)
        os.makedirs(os.path.join(golden, "var/lib/dbus"), exist_ok=True)
        # Identity files that are links into the golden root and out of it: reset in the copy
        # by replacing the link, never by writing where it points.
        os.replace(os.path.join(golden, "etc/machine-id"), os.path.join(golden, "etc/real-id"))
        os.symlink(os.path.join(golden, "etc/real-id"), os.path.join(golden, "etc/machine-id"))
        os.unlink(os.path.join(golden, "var/lib/dbus/machine-id"))
        os.symlink(os.path.join(outside, "id"), os.path.join(golden, "var/lib/dbus/machine-id"))
        os.unlink(os.path.join(golden, "var/lib/systemd/random-seed"))
        os.symlink(os.path.join(outside, "secret"),
                   os.path.join(golden, "var/lib/systemd/random-seed"))
        # Directory links (absolute into the golden root, relative, and out of it).
        os.symlink(os.path.join(golden, "etc"), os.path.join(golden, "etc-abs"))
        os.symlink("etc", os.path.join(golden, "etc-rel"))
        os.symlink(outside, os.path.join(golden, "outside"))
        links = {rel: os.readlink(os.path.join(golden, rel))
                 for rel in ("etc-abs", "etc-rel", "outside")}
        g_before, o_before = tree_hash(golden), tree_hash(outside)

        self.assertOk(provision("22222222", golden))
        root = SB.path("srv", "pi", "22222222")
        for rel, target in links.items():
            self.assertEqual(os.readlink(os.path.join(root, rel)), target, rel)
        self.assertFalse(os.path.islink(os.path.join(root, "etc/machine-id")))
        self.assertEqual(os.path.getsize(os.path.join(root, "etc/machine-id")), 0)
        self.assertEqual(os.readlink(os.path.join(root, "var/lib/dbus/machine-id")),
                         "/etc/machine-id")
        self.assertFalse(os.path.lexists(os.path.join(root, "var/lib/systemd/random-seed")))
        self.assertEqual(tree_hash(golden), g_before)
        self.assertEqual(tree_hash(outside), o_before)

        # A file provision must rewrite that is a link (here into the golden root) is refused, not
        # followed: the golden root stays as it was and no half-made copy is left.
        os.replace(os.path.join(golden, "etc/hosts"), os.path.join(golden, "etc/real-hosts"))
        os.symlink(os.path.join(golden, "etc/real-hosts"), os.path.join(golden, "etc/hosts"))
        g_before = tree_hash(golden)
        self.known = os.listdir(SB.path("srv", "pi"))
        r = provision("33333333", golden)
        self.assertEqual(r.returncode, 8, r.stdout + r.stderr)
        self.assertIn("etc/hosts", r.stderr)
        self.assertNothingCreated()
        self.assertEqual(tree_hash(golden), g_before)
        self.assertEqual(tree_hash(outside), o_before)

    def test_linked_identity_directory_refused(self):
        # etc/ssh pointing at the server's own /etc/ssh: its keys can be neither reset in the copy
        # nor left shared, so provisioning stops and nothing is created or touched.
        golden = SB.path("golden-linked-ssh")
        make_golden(golden)
        keys = SB.path("shared-ssh")
        os.rename(os.path.join(golden, "etc/ssh"), keys)
        os.symlink(keys, os.path.join(golden, "etc/ssh"))
        g_before, k_before = tree_hash(golden), tree_hash(keys)
        r = provision("88888888", golden)
        self.assertEqual(r.returncode, 8, r.stdout + r.stderr)
        self.assertIn("/etc/ssh is a symlink in the base root", r.stderr)
        self.assertNothingCreated()
        self.assertEqual(tree_hash(golden), g_before)
        self.assertEqual(tree_hash(keys), k_before)

    def test_identity_reset_in_copy_and_golden_untouched(self):
        golden = SB.path("golden-identity")
        make_golden(golden)
        before = tree_hash(golden)
        r = provision("44444444", golden)
        self.assertOk(r)
        root = SB.path("srv", "pi", "44444444")
        for rel in SECRETS:
            self.assertIn(f"provision: reset /{rel}", r.stdout)
        with open(os.path.join(root, "etc/machine-id")) as f:
            self.assertEqual(f.read(), "")
        self.assertEqual(os.readlink(os.path.join(root, "var/lib/dbus/machine-id")),
                         "/etc/machine-id")
        for rel in ("var/lib/systemd/random-seed", "var/lib/systemd/credential.secret",
                    "var/lib/dhcpcd/duid", "var/lib/dhcpcd5/duid",
                    "etc/ssh/ssh_host_rsa_key-cert.pub"):
            self.assertFalse(os.path.lexists(os.path.join(root, rel)), rel)
        # Debian makes no host keys at boot: ssh-keygen -A made new ones for the copy.
        with open(os.path.join(root, "etc/ssh/ssh_host_ed25519_key")) as f:
            key = f.read()
        self.assertIn("PRIVATE KEY", key)
        self.assertNotEqual(key, SECRETS["etc/ssh/ssh_host_ed25519_key"])
        self.assertIn("new ones made with ssh-keygen -A", r.stdout)
        self.assertEqual(tree_hash(golden), before)
        # A second Pi gets keys of its own.
        self.assertOk(provision("55555555", golden))
        with open(SB.path("srv", "pi", "55555555", "etc/ssh/ssh_host_ed25519_key")) as f:
            self.assertNotEqual(f.read(), key)
        self.assertEqual(tree_hash(golden), before)

    def test_raspberry_pi_os_unit_makes_keys_on_first_boot(self):
        golden = SB.path("golden-rpios")
        make_golden(golden, regen_unit=True)
        before = tree_hash(golden)
        r = provision("66666666", golden)
        self.assertOk(r)
        root = SB.path("srv", "pi", "66666666")
        wants = os.path.join(root, "etc/systemd/system/multi-user.target.wants", REGEN_UNIT)
        self.assertEqual(os.readlink(wants), "/usr/lib/systemd/system/" + REGEN_UNIT)
        self.assertEqual([n for n in os.listdir(os.path.join(root, "etc/ssh"))
                          if n.startswith("ssh_host_")], [])
        self.assertIn(REGEN_UNIT + " enabled", r.stdout)
        self.assertEqual(tree_hash(golden), before)

    def test_base_inside_source_refused(self):
        r = provision("77777777", SB.path("srv"))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("would contain itself", r.stderr)
        self.assertNothingCreated()
        # A bind mount of the directory holding the base shows the base too (this mount
        # namespace is the sandbox's own).
        bind = SB.path("bind-of-srv")
        os.makedirs(bind)
        netlab.run(["mount", "--bind", SB.path("srv"), bind])
        try:
            r = provision("77777777", bind)
            self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
            self.assertIn("would contain itself", r.stderr)
            self.assertNothingCreated()
        finally:
            netlab.run(["umount", bind])


if __name__ == "__main__":
    if not nfs_ns.is_inner():
        netlab.require_tools("ssh-keygen")
        sys.exit(nfs_ns.run_outer(os.path.abspath(__file__), ["prov"], timeout=240))
    sys.argv.remove(nfs_ns.INNER_FLAG)
    started = time.monotonic()
    result = unittest.main(exit=False, verbosity=2).result
    print(f"provision integration: {time.monotonic() - started:.1f}s", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() else 1)

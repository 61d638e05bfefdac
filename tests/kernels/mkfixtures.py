#!/usr/bin/env python3
# Fixture package repositories for the distributions whose mirrors this machine cannot
# reach, laid out at the real paths so that a real nginx on loopback serves them: Ubuntu
# (dists/*/InRelease signed by a throwaway gpg key) and the RPM family (repodata/ as
# createrepo_c writes it), plus broken variants. Indexes only: package files need not
# exist, except one tiny real .deb. Standard library, gpg, and the zstd tool for Fedora.
#   mkfixtures.py DIR [--base http://127.0.0.1:PORT]   see tests/kernels/FIXTURES.md
import argparse
import bz2
import email.utils
import gzip
import hashlib
import io
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import time

NOW = int(time.time())
# fixed times keep the indexes byte-identical between runs (not the signatures)
BUILD_TIME = 1731196800

# ---------------------------------------------------------------- helpers


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def fake_hash(algo, *parts):
    # the digest of a package file that does not exist: stable, distinct per package
    return hashlib.new(algo, "/".join(parts).encode()).hexdigest()


def gz(data):
    # mtime 0: what dpkg-scanpackages | gzip -n and createrepo_c write
    return gzip.compress(data, 9, mtime=0)


def xz(data):
    return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)


def zst(data):
    if not shutil.which("zstd"):
        sys.exit("mkfixtures.py: Fedora's primary.xml.zst needs the zstd tool (Debian: zstd)")
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=data, stdout=subprocess.PIPE,
                          check=True).stdout


COMPRESS = {"gz": gz, "xz": xz, "zst": zst, "bz2": lambda d: bz2.compress(d, 9)}

# ---------------------------------------------------------------- Ubuntu

# (abi, flavor, version, source package of the kernel, of the signed image)
UBUNTU_SUITES = {
    "jammy": ("22.04", [
        ("5.15.0-25", "generic", "5.15.0-25.25", "linux", "linux-signed"),
        ("5.15.0-25", "lowlatency", "5.15.0-25.25", "linux-lowlatency", "linux-signed-lowlatency"),
        ("5.15.0-1004", "aws", "5.15.0-1004.6", "linux-aws", "linux-signed-aws"),
        ("5.15.0-1003", "azure", "5.15.0-1003.4", "linux-azure", "linux-signed-azure"),
        ("5.15.0-1003", "gcp", "5.15.0-1003.6", "linux-gcp", "linux-signed-gcp"),
    ]),
    "jammy-updates": ("22.04", [
        ("5.15.0-91", "generic", "5.15.0-91.101", "linux", "linux-signed"),
        ("5.15.0-94", "generic", "5.15.0-94.104", "linux", "linux-signed"),
        ("5.15.0-91", "lowlatency", "5.15.0-91.101", "linux-lowlatency", "linux-signed-lowlatency"),
        ("6.5.0-1014", "aws", "6.5.0-1014.14~22.04.1", "linux-aws-6.5", "linux-signed-aws-6.5"),
        ("5.15.0-1053", "azure", "5.15.0-1053.61", "linux-azure", "linux-signed-azure"),
        ("5.15.0-1048", "gcp", "5.15.0-1048.56", "linux-gcp", "linux-signed-gcp"),
    ]),
    "jammy-security": ("22.04", [
        ("5.15.0-91", "generic", "5.15.0-91.101", "linux", "linux-signed"),
        ("5.15.0-1051", "aws", "5.15.0-1051.56", "linux-aws", "linux-signed-aws"),
    ]),
    "noble": ("24.04", [
        ("6.8.0-31", "generic", "6.8.0-31.31", "linux", "linux-signed"),
        ("6.8.0-31", "lowlatency", "6.8.0-31.31.1", "linux-lowlatency", "linux-signed-lowlatency"),
        ("6.8.0-1008", "aws", "6.8.0-1008.8", "linux-aws", "linux-signed-aws"),
        ("6.8.0-1007", "azure", "6.8.0-1007.7", "linux-azure", "linux-signed-azure"),
        ("6.8.0-1007", "gcp", "6.8.0-1007.7", "linux-gcp", "linux-signed-gcp"),
    ]),
    "noble-updates": ("24.04", [
        ("6.8.0-49", "generic", "6.8.0-49.49", "linux", "linux-signed"),
        ("6.8.0-1019", "aws", "6.8.0-1019.21", "linux-aws", "linux-signed-aws"),
    ]),
}
# suites with a Valid-Until (Ubuntu's archive has none; one suite shows the field)
UBUNTU_VALID_UNTIL = {"jammy-security"}
UBUNTU_ARCHES = ["amd64", "arm64", "i386"]
UBUNTU_COMPONENTS = ["main", "restricted", "universe", "multiverse"]
MAINTAINER = "Ubuntu Kernel Team <kernel-team@ubuntu.example>"


# pool files that exist (tiny_deb): their stanza gets their real size and digests
REAL_DEBS = {}


def deb_stanza(fields, filename, size):
    name, ver = fields["Package"], fields["Version"]
    out = dict(fields)
    desc = out.pop("Description")
    real = REAL_DEBS.get(filename)
    out["Filename"] = filename
    out["Size"] = str(len(real) if real else size)
    for field, algo in (("MD5sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"), ("SHA512", "sha512")):
        out[field] = hashlib.new(algo, real).hexdigest() if real else fake_hash(algo, name, ver)
    out["Description"] = desc
    return "".join("%s: %s\n" % kv for kv in out.items())


def kernel_stanzas(abi, flavor, ver, src, signed_src, arch):
    kr = "%s-%s" % (abi, flavor)
    # linux-aws-6.5 -> headers package linux-aws-6.5-headers-<abi>
    common_hdr = "linux-headers-%s" % abi if src == "linux" else "%s-headers-%s" % (src, abi)
    pool = "pool/main/l/%s/" % src
    spool = "pool/main/l/%s/" % signed_src
    base = {"Priority": "optional", "Section": "kernel", "Origin": "Ubuntu",
            "Maintainer": MAINTAINER}
    deb = "_%s_%s.deb" % (ver, arch)
    st = []
    st.append(deb_stanza(dict(
        Package="linux-image-" + kr, Architecture=arch, Version=ver,
        **{"Built-Using": "%s (= %s)" % (src, ver)}, **base,
        Source="%s (%s)" % (signed_src, ver),
        **{"Installed-Size": "13724",
           "Provides": "fuse-module, linux-image, spl-modules, virtualbox-guest-modules, wireguard-modules (= 1.0.0)",
           "Depends": "linux-modules-%s, linux-base (>= 4.5ubuntu1~16.04.1)" % kr,
           "Recommends": "grub-pc | grub-efi-amd64 | grub-efi-ia32 | grub | lilo, initramfs-tools | linux-initramfs-tool",
           "Suggests": "fdutils, linux-tools, linux-headers-%s" % kr,
           "Conflicts": "linux-image-unsigned-%s" % kr},
        Description="Signed kernel image %s" % flavor), spool + "linux-image-" + kr + deb, 11573404))
    st.append(deb_stanza(dict(
        Package="linux-image-unsigned-" + kr, Architecture=arch, Version=ver, **base,
        Source=src,
        **{"Installed-Size": "13728",
           "Provides": "fuse-module, linux-image, spl-modules, virtualbox-guest-modules, wireguard-modules (= 1.0.0)",
           "Depends": "linux-base (>= 4.5ubuntu1~16.04.1), linux-modules-%s" % kr,
           "Conflicts": "linux-image-%s" % kr},
        Description="Linux kernel image for version %s on 64 bit x86 SMP" % abi.split("-")[0]),
        pool + "linux-image-unsigned-" + kr + deb, 11561246))
    st.append(deb_stanza(dict(
        Package="linux-modules-" + kr, Architecture=arch, Version=ver, **base, Source=src,
        **{"Installed-Size": "92342",
           "Depends": "linux-image-%s | linux-image-unsigned-%s" % (kr, kr)}, Description="Linux kernel extra modules for version %s" % abi),
        pool + "linux-modules-" + kr + deb, 23040392))
    st.append(deb_stanza(dict(
        Package="linux-headers-" + kr, Architecture=arch, Version=ver, **base, Source=src,
        **{"Installed-Size": "24712",
           "Provides": "linux-headers, linux-headers-3.0",
           "Depends": "%s, libc6 (>= 2.34), libelf1 (>= 0.142), libssl3 (>= 3.0.0~~alpha1), zlib1g (>= 1:1.2.3.3)" % common_hdr},
        Description="Linux kernel headers for version %s on 64 bit x86 SMP" % abi),
        pool + "linux-headers-" + kr + deb, 2905338))
    common = deb_stanza(dict(
        Package=common_hdr, Architecture="all", Version=ver, **base, Source=src,
        **{"Installed-Size": "78221", "Multi-Arch": "foreign"},
        Description="Header files related to Linux kernel version %s" % abi),
        pool + "%s_%s_all.deb" % (common_hdr, ver), 12873524)
    return st, common


def ubuntu_packages(suite, kernels, arch):
    out, commons = [], {}
    for abi, flavor, ver, src, ssrc in kernels:
        st, common = kernel_stanzas(abi, flavor, ver, src, ssrc, arch)
        out += st
        commons[common] = True
    out += list(commons)
    # what is not a kernel, and what looks like one without being one
    meta_ver = kernels[0][2].replace("-", ".", 1)  # linux-meta: 5.15.0.91.101
    out.append(deb_stanza(dict(
        Package="linux-generic", Architecture=arch, Version=meta_ver, Priority="optional",
        Section="kernel", Origin="Ubuntu", Maintainer=MAINTAINER, Source="linux-meta",
        **{"Installed-Size": "17",
           "Depends": "linux-image-generic (= %s), linux-headers-generic (= %s)" % (meta_ver, meta_ver)},
        Description="Complete Generic Linux kernel and headers"),
        "pool/main/l/linux-meta/linux-generic_%s_%s.deb" % (meta_ver, arch), 1720))
    out.append(deb_stanza(dict(
        Package="linux-base", Architecture="all", Version="4.5ubuntu9", Priority="optional",
        Section="kernel", Origin="Ubuntu", Maintainer=MAINTAINER,
        **{"Installed-Size": "76", "Depends": "debconf (>= 0.5) | debconf-2.0"},
        Description="Linux image base package"), "pool/main/l/linux-base/linux-base_4.5ubuntu9_all.deb", 18820))
    out.append(deb_stanza(dict(
        Package="bash", Architecture=arch, Version="5.1-6ubuntu1.1", Priority="required",
        Section="shells", Origin="Ubuntu", Maintainer="Ubuntu Developers <ubuntu-devel-discuss@ubuntu.example>",
        **{"Essential": "yes", "Installed-Size": "1864", "Pre-Depends": "libc6 (>= 2.34), libtinfo6 (>= 6)"},
        Description="GNU Bourne Again SHell"), "pool/main/b/bash/bash_5.1-6ubuntu1.1_%s.deb" % arch, 768660))
    return "\n".join(out).encode()


def release_text(suite, version, files, valid_until=None, date=None):
    codename = suite.split("-")[0]
    pocket = suite[len(codename) + 1:]
    date = NOW if date is None else date
    lines = ["Origin: Ubuntu", "Label: Ubuntu", "Suite: " + suite, "Version: " + version,
             "Codename: " + codename, "Date: " + email.utils.formatdate(date, usegmt=True).replace("GMT", "UTC")]
    if valid_until is not None:
        lines.append("Valid-Until: " + email.utils.formatdate(valid_until, usegmt=True).replace("GMT", "UTC"))
    lines += ["Architectures: " + " ".join(UBUNTU_ARCHES),
              "Components: " + " ".join(UBUNTU_COMPONENTS),
              "Description: Ubuntu %s %s%s" % (codename.capitalize(), version,
                                                (" " + pocket.capitalize()) if pocket else ""),
              "Acquire-By-Hash: yes"]
    for field, algo in (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256")):
        lines.append(field + ":")
        for path, data in files:
            lines.append(" %s %16d %s" % (hashlib.new(algo, data).hexdigest(), len(data), path))
    return ("\n".join(lines) + "\n").encode()


class Signer:
    """A throwaway archive key in a private GNUPGHOME (DIR/_gpg)."""

    def __init__(self, home):
        self.home = home
        os.makedirs(home, mode=0o700, exist_ok=True)
        self.gpg(["--quick-generate-key", "Probekit Fixture Archive Signing Key <archive@probekit.invalid>",
                  "rsa3072", "sign", "never"])

    def gpg(self, args, **kw):
        return subprocess.run(["gpg", "--batch", "--quiet", "--homedir", self.home, "--pinentry-mode",
                               "loopback", "--passphrase", ""] + args, check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw).stdout

    def sign(self, dist):
        rel = os.path.join(dist, "Release")
        for f in ("InRelease", "Release.gpg"):
            if os.path.exists(os.path.join(dist, f)):
                os.unlink(os.path.join(dist, f))
        self.gpg(["--digest-algo", "SHA512", "--clearsign", "-o", os.path.join(dist, "InRelease"), rel])
        self.gpg(["--digest-algo", "SHA512", "--armor", "--detach-sign", "-o",
                  os.path.join(dist, "Release.gpg"), rel])

    def export(self, path):
        write(path, self.gpg(["--export"]))

    def close(self):
        subprocess.run(["gpgconf", "--homedir", self.home, "--kill", "gpg-agent"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ubuntu_suite(root, suite, version, kernels, signer, valid_until=None, packages_override=None):
    """dists/<suite>/: Packages{,.gz,.xz} per component and arch (only the .gz and .xz
    exist, as on Ubuntu's archive), per-component Release, by-hash copies, signed Release."""
    dist = os.path.join(root, "dists", suite)
    files = []
    for comp in UBUNTU_COMPONENTS:
        for arch in UBUNTU_ARCHES:
            d = "%s/binary-%s" % (comp, arch)
            plain = ubuntu_packages(suite, kernels, arch) if comp == "main" and arch == "amd64" else b""
            crel = ("Archive: %s\nVersion: %s\nComponent: %s\nOrigin: Ubuntu\nLabel: Ubuntu\n"
                    "Architecture: %s\n" % (suite, version, comp, arch)).encode()
            entries = [(d + "/Packages", plain), (d + "/Packages.gz", gz(plain)),
                       (d + "/Packages.xz", xz(plain)), (d + "/Release", crel)]
            for path, data in entries:
                files.append((path, data))
                if path.endswith("/Packages"):
                    continue  # listed, not served
                write(os.path.join(dist, path), data)
                if "/Packages." in path:
                    write(os.path.join(dist, d, "by-hash", "SHA256", hashlib.sha256(data).hexdigest()), data)
    files.sort()
    write(os.path.join(dist, "Release"), release_text(suite, version, files, valid_until))
    if packages_override:
        # the served index differs from what Release lists
        write(os.path.join(dist, "main/binary-amd64/Packages.xz"), xz(packages_override))
    signer.sign(dist)
    return dist


def tiny_deb():
    """A real .deb (ar: debian-binary, control.tar.gz, data.tar.gz) holding one file,
    byte-identical between runs."""
    def tar(members):
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
            for name, data in members:
                ti = tarfile.TarInfo(name)
                ti.size, ti.mtime, ti.mode = len(data), BUILD_TIME, 0o644
                t.addfile(ti, io.BytesIO(data))
        return gz(b.getvalue())

    control = (b"Package: linux-headers-5.15.0-91\nVersion: 5.15.0-91.101\nArchitecture: all\n"
               b"Maintainer: " + MAINTAINER.encode() + b"\nDescription: fixture: one tiny real .deb\n")
    members = [(b"debian-binary", b"2.0\n"), (b"control.tar.gz", tar([("./control", control)])),
               (b"data.tar.gz", tar([("./usr/src/linux-headers-5.15.0-91/Makefile", b"VERSION = 5\n")]))]
    out = b"!<arch>\n"
    for name, data in members:
        out += b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (name, BUILD_TIME, 0, 0, b"100644",
                                                    len(data))
        out += data + (b"\n" if len(data) % 2 else b"")
    return out


TINY_DEB = "pool/main/l/linux/linux-headers-5.15.0-91_5.15.0-91.101_all.deb"


def make_ubuntu(out, signer):
    root = os.path.join(out, "ubuntu")
    REAL_DEBS[TINY_DEB] = tiny_deb()
    write(os.path.join(root, TINY_DEB), REAL_DEBS[TINY_DEB])
    for suite, (version, kernels) in UBUNTU_SUITES.items():
        vu = NOW + 7 * 86400 if suite in UBUNTU_VALID_UNTIL else None
        ubuntu_suite(root, suite, version, kernels, signer, valid_until=vu)
    # the security host serves only -security suites, under the same /ubuntu path
    sec = os.path.join(out, "security", "ubuntu", "dists")
    for suite in UBUNTU_SUITES:
        if suite.endswith("-security"):
            shutil.copytree(os.path.join(root, "dists", suite), os.path.join(sec, suite))

    broken = os.path.join(out, "broken")
    version, kernels = UBUNTU_SUITES["jammy"]
    # 1. one byte of the signed text changed after signing
    d = ubuntu_suite(os.path.join(broken, "ubuntu-bad-signature"), "jammy", version, kernels, signer)
    p = os.path.join(d, "InRelease")
    b = bytearray(open(p, "rb").read())
    i = b.index(b"Suite: jammy") + len("Suite: ")
    b[i] = ord("J")
    write(p, bytes(b))
    # 2. signed, but Valid-Until is a day in the past
    ubuntu_suite(os.path.join(broken, "ubuntu-expired"), "jammy", version, kernels, signer,
                 valid_until=NOW - 86400)
    # 3. Packages.xz is not the file Release lists
    other = ubuntu_packages("jammy", UBUNTU_SUITES["noble"][1], "amd64")
    ubuntu_suite(os.path.join(broken, "ubuntu-index-mismatch"), "jammy", version, kernels, signer,
                 packages_override=other)

# ---------------------------------------------------------------- RPM family

NS = ('xmlns="http://linux.duke.edu/metadata/common" '
      'xmlns:rpm="http://linux.duke.edu/metadata/rpm"')


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def rpm_pkgs(names, ver, rel, arch="x86_64", epoch="0", src="kernel", loc="Packages/{n}"):
    return [dict(name=n, epoch=epoch, ver=ver, rel=rel, arch=arch,
                 src="%s-%s-%s.src.rpm" % (src, ver, rel), loc=loc) for n in names]


def primary_xml(pkgs, vendor):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<metadata %s packages="%d">\n' % (NS, len(pkgs))]
    for p in pkgs:
        nevra = "%s-%s-%s.%s" % (p["name"], p["ver"], p["rel"], p["arch"])
        p["file"] = p["loc"].format(n=nevra + ".rpm", l=p["name"][0], sha=fake_hash("sha256", nevra, "blob"))
        p["pkgid"] = fake_hash("sha256", nevra)
        summary = "The Linux kernel" if p["name"].startswith("kernel") else "The GNU Bourne Again shell"
        out.append(
            '<package type="rpm">\n'
            '  <name>%(name)s</name>\n'
            '  <arch>%(arch)s</arch>\n'
            '  <version epoch="%(epoch)s" ver="%(ver)s" rel="%(rel)s"/>\n'
            '  <checksum type="sha256" pkgid="YES">%(pkgid)s</checksum>\n' % p +
            '  <summary>%s</summary>\n' % summary +
            '  <description>%s package for the fixture repository: &lt;%s&gt; &amp; friends.</description>\n'
            % (summary, p["name"]) +
            '  <packager>%s</packager>\n' % xml_escape(vendor + " <packager@rpm.example>") +
            '  <url>https://www.kernel.example/</url>\n'
            '  <time file="%d" build="%d"/>\n' % (BUILD_TIME, BUILD_TIME - 7200) +
            '  <size package="%d" installed="%d" archive="%d"/>\n'
            % (len(nevra) * 104729, len(nevra) * 331, len(nevra) * 332) +
            '  <location href="%s"/>\n' % xml_escape(p["file"]) +
            '  <format>\n'
            '    <rpm:license>GPL-2.0-only</rpm:license>\n'
            '    <rpm:vendor>%s</rpm:vendor>\n' % xml_escape(vendor) +
            '    <rpm:group>Unspecified</rpm:group>\n'
            '    <rpm:buildhost>build.rpm.example</rpm:buildhost>\n'
            '    <rpm:sourcerpm>%(src)s</rpm:sourcerpm>\n'
            '    <rpm:header-range start="4504" end="31337"/>\n'
            '    <rpm:provides>\n'
            '      <rpm:entry name="%(name)s" flags="EQ" epoch="%(epoch)s" ver="%(ver)s" rel="%(rel)s"/>\n'
            '      <rpm:entry name="%(name)s(x86-64)" flags="EQ" epoch="%(epoch)s" ver="%(ver)s" rel="%(rel)s"/>\n'
            '    </rpm:provides>\n'
            '    <rpm:requires>\n'
            '      <rpm:entry name="/bin/sh" pre="1"/>\n'
            '      <rpm:entry name="rpmlib(PayloadIsZstd)" flags="LE" epoch="0" ver="5.4.18" rel="1"/>\n'
            '    </rpm:requires>\n'
            '  </format>\n'
            '</package>\n' % p)
    out.append("</metadata>\n")
    return "".join(out).encode()


def filelists_xml(pkgs):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<filelists xmlns="http://linux.duke.edu/metadata/filelists" '
           'packages="%d">\n' % len(pkgs)]
    for p in pkgs:
        out.append('<package pkgid="%(pkgid)s" name="%(name)s" arch="%(arch)s">\n'
                   '  <version epoch="%(epoch)s" ver="%(ver)s" rel="%(rel)s"/>\n'
                   '  <file>/usr/share/doc/%(name)s/README</file>\n</package>\n' % p)
    return ("".join(out) + "</filelists>\n").encode()


def other_xml(pkgs):
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<otherdata xmlns="http://linux.duke.edu/metadata/other" '
           'packages="%d">\n' % len(pkgs)]
    for p in pkgs:
        out.append('<package pkgid="%(pkgid)s" name="%(name)s" arch="%(arch)s">\n'
                   '  <version epoch="%(epoch)s" ver="%(ver)s" rel="%(rel)s"/>\n'
                   '  <changelog author="Builder &lt;builder@rpm.example&gt; - %(ver)s-%(rel)s" date="%(t)d">'
                   '- rebuilt</changelog>\n</package>\n' % dict(p, t=BUILD_TIME))
    return ("".join(out) + "</otherdata>\n").encode()


def rpm_repo(repo, pkgs, comp, vendor, tamper=None):
    """repo/repodata/: repomd.xml and <sha256>-{primary,filelists,other}.xml.<comp>, as
    createrepo_c --unique-md-filenames writes them. tamper: "checksum" (repomd's primary
    checksum is wrong), "truncated-file" (primary cut in half, repomd describes the cut
    file), "truncated-xml" (the XML cut in half, then compressed and described)."""
    md = os.path.join(repo, "repodata")
    if os.path.isdir(md):
        shutil.rmtree(md)
    entries = []
    for kind, plain in (("primary", primary_xml(pkgs, vendor)), ("filelists", filelists_xml(pkgs)),
                        ("other", other_xml(pkgs))):
        if kind == "primary" and tamper == "truncated-xml":
            plain = plain[:len(plain) // 2]
        packed = COMPRESS[comp](plain)
        if kind == "primary" and tamper == "truncated-file":
            packed = packed[:len(packed) // 2]
        sha = hashlib.sha256(packed).hexdigest()
        href = "repodata/%s-%s.xml.%s" % (sha, kind, comp)
        write(os.path.join(repo, href), packed)
        if kind == "primary" and tamper == "checksum":
            sha = hashlib.sha256(packed + b"x").hexdigest()
        entries.append(
            '  <data type="%s">\n'
            '    <checksum type="sha256">%s</checksum>\n'
            '    <open-checksum type="sha256">%s</open-checksum>\n'
            '    <location href="%s"/>\n'
            '    <timestamp>%d</timestamp>\n'
            '    <size>%d</size>\n'
            '    <open-size>%d</open-size>\n'
            '  </data>\n' % (kind, sha, hashlib.sha256(plain).hexdigest(), href, BUILD_TIME,
                             len(packed), len(plain)))
    write(os.path.join(md, "repomd.xml"),
          '<?xml version="1.0" encoding="UTF-8"?>\n'
          '<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">\n'
          '  <revision>%d</revision>\n%s</repomd>\n' % (BUILD_TIME, "".join(entries)))


EL_KERNEL = ["kernel", "kernel-core", "kernel-modules", "kernel-modules-core", "kernel-devel"]
EL8_KERNEL = ["kernel", "kernel-core", "kernel-modules", "kernel-devel"]


def el_pkgs(names, versions, loc):
    out = []
    for ver, rel in versions:
        out += rpm_pkgs(names, ver, rel, loc=loc)
        # not kernels: userspace headers and tools built from the same source
        out += rpm_pkgs(["kernel-headers", "kernel-tools"], ver, rel, loc=loc)
        out += rpm_pkgs(["kernel-abi-stablelists"], ver, rel, arch="noarch", loc=loc)
    return out


def bash(ver, rel, loc):
    return rpm_pkgs(["bash"], ver, rel, src="bash", loc=loc)


# (path, compression, vendor, packages); loc: {n} file name, {l} first letter, {sha} blob id
def rpm_repos(base):
    al2_repo = "amazonlinux/2/core/2.0/x86_64/6b0225ccc542f3834c95733dcf321ab9f1e77e6ca6817469771a8af7c49efe6c/"
    al2_k510 = "amazonlinux/2/extras/kernel-5.10/2.0/x86_64/0f7a6e6ac9d1ae9f87a49ff9a7ad71fa11ed5a6f7ed6f6a36d0b2e1fb1ab9f02/"
    al2023_repo = "amazonlinux/al2023/core/guids/b8c0f6a2a0d0b2e3e9b6a7c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5/x86_64/"
    blob = "../../../../blobstore/{sha}/{n}"
    repos = [
        ("centos-stream/9-stream/BaseOS/x86_64/os/", "xz", "CentOS",
         el_pkgs(EL_KERNEL, [("5.14.0", "427.el9"), ("5.14.0", "503.el9"), ("5.14.0", "522.el9")], "Packages/{n}")
         + rpm_pkgs(["kernel-debug-devel", "kernel-debug-core"], "5.14.0", "522.el9", loc="Packages/{n}")
         + bash("5.1.8", "9.el9", "Packages/{n}")),
        ("rocky/9/BaseOS/x86_64/os/", "gz", "Rocky Enterprise Software Foundation",
         el_pkgs(EL_KERNEL, [("5.14.0", "427.13.1.el9_4"), ("5.14.0", "503.14.1.el9_5")], "Packages/{l}/{n}")
         + bash("5.1.8", "9.el9", "Packages/{l}/{n}")),
        ("rocky/8/BaseOS/x86_64/os/", "gz", "Rocky Enterprise Software Foundation",
         el_pkgs(EL8_KERNEL, [("4.18.0", "513.5.1.el8_9"), ("4.18.0", "553.el8_10")], "Packages/{l}/{n}")
         + bash("4.4.20", "5.el8", "Packages/{l}/{n}")),
        ("almalinux/9/BaseOS/x86_64/os/", "gz", "AlmaLinux",
         el_pkgs(EL_KERNEL, [("5.14.0", "427.13.1.el9_4"), ("5.14.0", "503.11.1.el9_5")], "Packages/{n}")
         + bash("5.1.8", "9.el9", "Packages/{n}")),
        ("fedora/linux/releases/41/Everything/x86_64/os/", "zst", "Fedora Project",
         el_pkgs(EL_KERNEL, [("6.11.4", "301.fc41")], "Packages/{l}/{n}")
         + bash("5.2.32", "1.fc41", "Packages/{l}/{n}")),
        ("fedora/linux/updates/41/Everything/x86_64/", "zst", "Fedora Project",
         el_pkgs(EL_KERNEL, [("6.11.10", "300.fc41"), ("6.12.5", "200.fc41")], "Packages/{l}/{n}")),
        (al2_repo, "gz", "Amazon Linux",
         rpm_pkgs(["kernel", "kernel-devel", "kernel-headers", "kernel-tools"], "4.14.352", "268.569.amzn2", loc=blob)
         + rpm_pkgs(["kernel", "kernel-devel"], "4.14.355", "275.570.amzn2", loc=blob)
         + bash("4.2.46", "34.amzn2", blob)),
        (al2_k510, "gz", "Amazon Linux",
         rpm_pkgs(["kernel", "kernel-devel"], "5.10.205", "195.807.amzn2", loc=blob)
         + rpm_pkgs(["kernel", "kernel-devel"], "5.10.228", "219.884.amzn2", loc=blob)),
        (al2023_repo, "gz", "Amazon Linux",
         rpm_pkgs(["kernel", "kernel-devel", "kernel-modules-extra", "kernel-headers"], "6.1.115",
                  "126.197.amzn2023", loc=blob)
         + rpm_pkgs(["kernel", "kernel-devel"], "6.1.119", "129.201.amzn2023", loc=blob)
         + rpm_pkgs(["kernel6.12", "kernel6.12-devel", "kernel6.12-modules-extra"], "6.12.20",
                    "17.106.amzn2023", src="kernel6.12", loc=blob)
         + rpm_pkgs(["kernel-livepatch-6.1.115-126.197"], "1.0", "0.amzn2023", src="kernel-livepatch-6.1.115-126.197",
                    loc=blob)
         + bash("5.2.15", "1.amzn2023.0.2", blob)),
    ]
    mirrorlists = [
        ("amazonlinux/2/core/latest/x86_64/mirror.list", al2_repo),
        ("amazonlinux/2/extras/kernel-5.10/latest/x86_64/mirror.list", al2_k510),
        ("amazonlinux/al2023/core/mirrors/latest/x86_64/mirror.list", al2023_repo),
    ]
    return repos, mirrorlists


def make_rpm(out, base):
    repos, mirrorlists = rpm_repos(base)
    for path, comp, vendor, pkgs in repos:
        rpm_repo(os.path.join(out, path), pkgs, comp, vendor)
    for path, repo in mirrorlists:
        write(os.path.join(out, path), "%s/%s\n" % (base.rstrip("/"), repo))
    broken = os.path.join(out, "broken")
    path, comp, vendor, pkgs = repos[1]  # Rocky 9
    for tamper in ("checksum", "truncated-file", "truncated-xml"):
        rpm_repo(os.path.join(broken, "rpm-" + tamper, path), pkgs, comp, vendor, tamper=tamper)
    write(os.path.join(broken, "amazonlinux-bad-mirrorlist/amazonlinux/2/core/latest/x86_64/mirror.list"),
          "# the first URL is what counts\nftp://127.0.0.1/amazonlinux/2/core/\n%s/%s\n"
          % (base.rstrip("/"), mirrorlists[0][1]))


def main():
    ap = argparse.ArgumentParser(description="write fixture repositories (tests/kernels/FIXTURES.md)")
    ap.add_argument("dir")
    ap.add_argument("--base", default="http://127.0.0.1:8080",
                    help="URL the tree will be served at (Amazon Linux's mirror.list points there)")
    a = ap.parse_args()
    if not a.base.startswith(("http://", "https://")):
        sys.exit("mkfixtures.py: --base must be an http(s) URL")
    os.makedirs(a.dir, exist_ok=True)
    signer = Signer(os.path.join(a.dir, "_gpg"))
    try:
        make_ubuntu(a.dir, signer)
        signer.export(os.path.join(a.dir, "ubuntu-archive-keyring.gpg"))
    finally:
        signer.close()
    make_rpm(a.dir, a.base)


if __name__ == "__main__":
    main()

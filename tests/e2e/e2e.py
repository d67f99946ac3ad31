"""End-to-end harness: real logins through Debian's OpenSSH, sudo and su,
with build/pam_assume_role.so, the build's helper and the test STS.

    sys.path.insert(0, os.path.join(TOP, "tests", "e2e")); import e2e
    bastion = e2e.Bastion("ssh")                     # lock, /etc snapshot, sandbox, test STS
    alice = bastion.add_user("alice")                 # bash, password, ~/.aws, ~/bin
    bastion.write_config()                            # TMP/pam_assume_role.conf
    bastion.install_sshd_service()                    # /etc/pam.d/sshd-partest-XXXX
    bastion.start_sshd()                              # 127.0.0.1:PORT, own host key
    s = bastion.ssh_login(alice, code=bastion.code("alice"))
    p = s.probe(aws=True)                             # what the shell holds
    s.logout()
    bastion.finish(t)                                 # cleanup; fails t if /etc changed

What it changes on the host, all restored at exit (also on failure, SIGTERM,
SIGINT, SIGHUP) and then compared with the snapshot taken first:
/etc/pam.d/sshd-partest-XXXX (created), /etc/pam.d/sudo-i and /etc/pam.d/su
(module lines added), /etc/sudoers.d/partest-XXXX (created),
/etc/profile.d/pam_assume_role.sh (created, as 'make install' does),
/etc/zsh/zshrc (one line sourcing the hook), throwaway accounts
(/etc/passwd, group, shadow, gshadow, subuid, subgid), /run/sshd (created
when missing). Everything else lives in one temporary folder.
"""

import fcntl
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import partest  # noqa: E402
import pexpect  # noqa: E402  (Debian's python3-pexpect)

TOP = partest.TOP
MODULE, HELPER = partest.MODULE, partest.HELPER
HOOK = os.path.join(TOP, "config", "profile.d", "pam_assume_role.sh")
SSHD_SNIPPET = os.path.join(TOP, "config", "sshd_config.d", "pam_assume_role.conf")
SSHD = "/usr/sbin/sshd"
AWS = "/usr/bin/aws"
LOCK = "/run/lock/pam_assume_role-e2e.lock"
MFA_PROMPT = r"AWS MFA code for (\S+) \(Enter to skip\): "
PASSWORD = "Pw-%s" % secrets.token_hex(6)
SSH_OPTS = ["-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=10"]

WATCHED_TREES = ("/etc/pam.d", "/etc/ssh", "/etc/sudoers.d", "/etc/profile.d",
                 "/etc/security", "/etc/zsh")
ACCOUNT_FILES = ("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow",
                 "/etc/subuid", "/etc/subgid")
# Throwaway accounts of other test scripts running at the same time
# (tests/lib/partest.py and others name them pt...): added or removed while
# this script ran, they are not ours to judge.
OTHER_TEST_ACCOUNT = re.compile(r"^pt[a-z0-9]{3,30}$")


# --- /etc: snapshot, guarded changes, restore, compare ---------------------------

def describe(path):
    st = os.lstat(path)
    entry = {"mode": stat.S_IMODE(st.st_mode), "type": stat.S_IFMT(st.st_mode),
             "uid": st.st_uid, "gid": st.st_gid}
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            entry["sha256"] = hashlib.sha256(f.read()).hexdigest()
    elif stat.S_ISLNK(st.st_mode):
        entry["link"] = os.readlink(path)
    return entry


def snapshot():
    snap = {}
    for top in WATCHED_TREES:
        if not os.path.lexists(top):
            continue
        snap[top] = describe(top)
        for root, dirs, files in os.walk(top):
            for n in dirs + files:
                p = os.path.join(root, n)
                snap[p] = describe(p)
    for p in ACCOUNT_FILES:
        if os.path.lexists(p):
            snap[p] = describe(p)
    return snap


def account_lines(path):
    try:
        with open(path) as f:
            return {line.split(":", 1)[0]: line for line in f.read().splitlines() if line}
    except OSError:
        return {}


class EtcGuard:
    """Takes the snapshot first; every change goes through write() so that
    restore() can put back the exact bytes, mode and owner."""

    def __init__(self):
        self.before = snapshot()
        self.accounts = {p: account_lines(p) for p in ACCOUNT_FILES}
        self.saved = {}        # path -> (bytes, mode, uid, gid) or None when it did not exist
        self.made_dirs = []

    def remember(self, path):
        if path in self.saved:
            return
        if os.path.lexists(path):
            st = os.lstat(path)
            with open(path, "rb") as f:
                self.saved[path] = (f.read(), stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
        else:
            self.saved[path] = None

    def write(self, path, text, mode=0o644):
        self.remember(path)
        tmp = "%s.partest-%d" % (path, os.getpid())
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.chown(tmp, 0, 0)
        os.replace(tmp, path)

    def read(self, path):
        with open(path) as f:
            return f.read()

    def make_dir(self, path, mode):
        if not os.path.isdir(path):
            os.mkdir(path, mode)
            self.made_dirs.append(path)

    def restore(self):
        for path, orig in self.saved.items():
            try:
                if orig is None:
                    if os.path.lexists(path):
                        os.unlink(path)
                    continue
                data, mode, uid, gid = orig
                tmp = "%s.partest-%d" % (path, os.getpid())
                with open(tmp, "wb") as f:
                    f.write(data)
                os.chmod(tmp, mode)
                os.chown(tmp, uid, gid)
                os.replace(tmp, path)
            except OSError as err:
                print("could not restore %s: %s" % (path, err), file=sys.stderr)
        self.saved = {}
        for d in reversed(self.made_dirs):
            shutil.rmtree(d, ignore_errors=True)
        self.made_dirs = []

    def differences(self, ours=()):
        """What differs from the snapshot; account lines of other scripts'
        throwaway users are left out (named, not judged)."""
        after = snapshot()
        diffs = []
        for p in sorted(set(self.before) | set(after)):
            if p in ACCOUNT_FILES:
                continue
            if self.before.get(p) != after.get(p):
                diffs.append("%s: %s -> %s" % (p, self.before.get(p, "absent"),
                                               after.get(p, "absent")))
        for p in ACCOUNT_FILES:
            if self.before.get(p, {}).get("mode") != after.get(p, {}).get("mode") or \
                    self.before.get(p, {}).get("uid") != after.get(p, {}).get("uid"):
                diffs.append("%s: owner or mode changed" % p)
            old, new = self.accounts[p], account_lines(p)
            for name in sorted(set(old) | set(new)):
                if old.get(name) == new.get(name):
                    continue
                if name not in ours and OTHER_TEST_ACCOUNT.match(name) and \
                        (name not in old or name not in new):
                    continue
                diffs.append("%s: entry %s %s" % (p, name, "left behind" if name not in old
                                                  else "removed" if name not in new
                                                  else "changed"))
        return diffs


# --- small helpers ------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def issued_for(sts, key_id):
    return next((r for r in sts.issued() if r["access_key_id"] == key_id), None)


# --- a shell at the other end of a pty ----------------------------------------------

class Shell:
    """A pexpect child holding an interactive shell (ssh, runuser, sudo, su)."""

    def __init__(self, child, transcript):
        self.child = child
        self.transcript = transcript
        self.n = 0
        self.mark = 0

    def text(self):
        return self.transcript.getvalue()

    def new_text(self):
        """Transcript since the previous call."""
        t = self.transcript.getvalue()
        out, self.mark = t[self.mark:], len(t)
        return out

    def run(self, cmd, timeout=60):
        """Runs cmd; returns (pre, output, status): pre is what the shell
        printed before it (prompt, hook messages), output its output."""
        self.n += 1
        tag = "@@%d-%s@@" % (self.n, secrets.token_hex(2))
        self.child.sendline('echo "%s""BEGIN"; %s; echo "%s""DONE $?"' % (tag, cmd, tag))
        self.child.expect(re.escape(tag) + r"BEGIN\r?\n", timeout=timeout)
        pre = self.child.before
        self.child.expect(re.escape(tag) + r"DONE (\d+)", timeout=timeout)
        return pre, self.child.before.replace("\r\n", "\n"), int(self.child.match.group(1))

    def run_with(self, cmd, answers, timeout=60):
        """run(), answering prompts on the way: answers = [(regex, text)]."""
        self.n += 1
        tag = "@@%d-%s@@" % (self.n, secrets.token_hex(2))
        self.child.sendline('echo "%s""BEGIN"; %s; echo "%s""DONE $?"' % (tag, cmd, tag))
        self.child.expect(re.escape(tag) + r"BEGIN\r?\n", timeout=timeout)
        pre, out = self.child.before, ""
        for prompt, answer in answers:
            self.child.expect(prompt, timeout=timeout)
            out += self.child.before + self.child.after
            self.child.sendline(answer)
        self.child.expect(re.escape(tag) + r"DONE (\d+)", timeout=timeout)
        out += self.child.before
        return pre, out.replace("\r\n", "\n"), int(self.child.match.group(1))

    def probe(self, aws=False, profile=None, config=None):
        """What this shell holds: its AWS_* / PAM_ASSUME_ROLE_* variables, uid,
        the session folder's files, and (aws=True) what Debian's aws CLI says."""
        args = [Bastion.current.probe_path]
        if aws:
            args.append("--aws")
        if profile:
            args += ["--profile", profile]
        if config:
            args += ["--config", config]
        pre, out, rc = self.run(" ".join(args), timeout=90)
        m = re.search(r"^@@PROBE (.*)$", out, re.M)
        if not m:
            raise RuntimeError("no probe output (rc %d): %s" % (rc, out))
        return json.loads(m.group(1))

    def expect(self, pattern, timeout=30):
        return self.child.expect(pattern, timeout=timeout)

    def sendline(self, s=""):
        self.child.sendline(s)

    def logout(self, timeout=30):
        """exit, and wait for the client to end."""
        if self.child.isalive():
            self.child.sendline("exit")
            try:
                self.child.expect(pexpect.EOF, timeout=timeout)
            except pexpect.TIMEOUT:
                pass
        self.child.close(force=True)
        return self.child.exitstatus

    def close(self):
        self.child.close(force=True)


# --- the bastion -----------------------------------------------------------------------

PROBE = r'''#!/usr/bin/python3
# What the calling shell holds, as one JSON line (e2e tests).
import json, os, subprocess, sys
args = sys.argv[1:]
with open(%(info)r) as f:
    info = json.load(f)
out = {"uid": os.getuid(), "tty": os.isatty(0),
       "env": {k: v for k, v in os.environ.items()
               if k.startswith("AWS_") or k.startswith("PAM_ASSUME_ROLE")}}
d = os.environ.get("PAM_ASSUME_ROLE_DIR")
if d:
    files = {}
    try:
        for name in [""] + sorted(os.listdir(d)):
            st = os.lstat(os.path.join(d, name))
            files[name or "."] = [st.st_uid, st.st_mode & 0o7777]
    except OSError as err:
        out["dir_error"] = str(err)
    out["files"] = files
if "--aws" in args:
    env = dict(os.environ, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
               AWS_PAGER="", HOME=os.environ.get("HOME", "/"))
    cmd = [%(aws)r, "sts", "get-caller-identity", "--endpoint-url", info["url"],
           "--ca-bundle", info["ca"], "--output", "json"]
    if "--profile" in args:
        cmd += ["--profile", args[args.index("--profile") + 1]]
        env.pop("AWS_ACCESS_KEY_ID", None); env.pop("AWS_SECRET_ACCESS_KEY", None)
        env.pop("AWS_SESSION_TOKEN", None)
        env["AWS_CONFIG_FILE"] = args[args.index("--config") + 1]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    out["aws"] = {"rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr.strip()[-500:]}
    try:
        out["arn"] = json.loads(p.stdout)["Arn"]
    except Exception:
        out["arn"] = None
print("@@PROBE " + json.dumps(out), flush=True)
'''


class Bastion:
    current = None

    def __init__(self, name, totp_window=10, sts_opts=None):
        partest.require_root_and_build((MODULE, HELPER))
        for tool in (SSHD, "/usr/bin/ssh", "/usr/bin/sudo", AWS, "/usr/bin/zsh"):
            if not os.path.exists(tool):
                print("missing %s: install openssh-server, sudo, awscli, zsh" % tool)
                sys.exit(1)
        os.makedirs(os.path.dirname(LOCK), exist_ok=True)
        self.lock = open(LOCK, "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)   # one e2e script at a time touches /etc
        Bastion.current = self
        self.tag = secrets.token_hex(2)
        self.guard = EtcGuard()
        self.done = False
        self.sb = partest.Sandbox("e2e-%s" % name)
        self.dir = self.sb.dir
        self.sshd = None
        self.sshd_port = None
        self.shells = []
        self.made_run_sshd = False
        self.run_sshd_existed = os.path.isdir("/run/sshd")
        self.service = "sshd-partest-%s" % self.tag
        self.sudoers = "/etc/sudoers.d/partest-%s" % self.tag
        import atexit
        atexit.register(self.cleanup)       # runs before the Sandbox's (registered earlier)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        self.sts_opts = dict(sts_opts or {})
        self.sts = self.sb.start_sts(totp_window=totp_window, **self.sts_opts)
        self.bin = os.path.join(self.dir, "bin")
        os.makedirs(self.bin)
        os.chmod(self.bin, 0o755)
        self.probe_path = os.path.join(self.bin, "par-probe")
        self.probe_info = os.path.join(self.dir, "probe.json")
        with open(self.probe_path, "w") as f:
            f.write(PROBE % {"info": self.probe_info, "aws": AWS})
        os.chmod(self.probe_path, 0o755)
        self._write_probe_info()
        self.config_path = os.path.join(self.dir, "pam_assume_role.conf")
        self.install_hook()

    def _on_signal(self, sig, frame):
        self.cleanup()
        sys.exit(128 + sig)

    def _write_probe_info(self):
        with open(self.probe_info, "w") as f:
            json.dump({"url": self.sts.url, "ca": self.sts.ca_file}, f)
        os.chmod(self.probe_info, 0o644)

    # --- test STS ---

    def code(self, iam):
        return self.sb.code(iam)

    def restart_sts(self, **opts):
        """A fresh test STS (new port): the config must be written again."""
        given = self.sb.codes_given
        self.sts.stop()
        self.sts = self.sb.start_sts(totp_window=self.sb.totp_window, **dict(self.sts_opts, **opts))
        self.sb.codes_given = given
        self._write_probe_info()
        return self.sts

    def stop_sts(self):
        self.sts.stop()

    # --- users ---

    def add_user(self, iam, shell="/bin/bash", key=False):
        """A throwaway account with a password, iam's keys in ~/.aws, the user
        command in ~/bin (Debian's ~/.profile puts it on PATH), an ssh key
        when asked."""
        u = self.sb.add_user(iam)
        subprocess.run(["usermod", "-s", shell, u.name], check=True)
        self.sb.set_password(u, PASSWORD)
        u.password = PASSWORD
        u.shell = shell
        home_bin = os.path.join(u.home, "bin")
        os.makedirs(home_bin, exist_ok=True)
        os.symlink(HELPER, os.path.join(home_bin, "pam-assume-role"))
        with open(os.path.join(u.home, ".zshrc"), "w") as f:
            f.write('path=("$HOME/bin" $path)\nPS1="%n%# "\n')
        for p in (home_bin, os.path.join(u.home, ".zshrc")):
            os.lchown(p, u.uid, u.gid)
        os.lchown(os.path.join(home_bin, "pam-assume-role"), u.uid, u.gid)
        u.key = None
        if key:
            u.key = os.path.join(self.dir, "id_%s" % u.name)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", u.key],
                           check=True)
            ssh_dir = os.path.join(u.home, ".ssh")
            os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
            shutil.copyfile(u.key + ".pub", os.path.join(ssh_dir, "authorized_keys"))
            for p in (ssh_dir, os.path.join(ssh_dir, "authorized_keys")):
                os.chown(p, u.uid, u.gid)
            os.chmod(os.path.join(ssh_dir, "authorized_keys"), 0o600)
        return u

    def user_names(self):
        return [u.name for u in self.sb.users]

    # --- configuration, as INSTALL tells the admin ---

    def write_config(self, **settings):
        """The module's config (root, 0644) at one fixed path: the pam.d lines
        name it, so rewriting it changes the next login."""
        values = dict(timeout_ms=8000, connect_timeout_ms=2000)
        values.update(settings)
        path = self.sb.write_config(self.sts, name="pam_assume_role.conf", **values)
        os.chown(path, 0, 0)
        return path

    def module_line(self, phase, control="optional", args=""):
        return "%-8s %-9s %s config=%s%s\n" % (phase, control, MODULE, self.config_path,
                                               (" " + args) if args else "")

    def with_module(self, text, auth_after, session_control="optional", session_args=""):
        """Host pam.d text with our auth line after the line auth_after and our
        session line at the end (config/pam.d/*)."""
        out, done = [], False
        for line in text.splitlines(True):
            out.append(line)
            if not done and line.strip() == auth_after:
                out.append(self.module_line("auth"))
                done = True
        if not done:
            raise RuntimeError("no line %r to put the module after" % auth_after)
        out.append(self.module_line("session", session_control, session_args))
        return "".join(out)

    def install_sshd_service(self, session_control="optional"):
        """/etc/pam.d/sshd-partest-XXXX: Debian's sshd file with the lines of
        config/pam.d/sshd."""
        text = self.guard.read("/etc/pam.d/sshd")
        self.guard.write("/etc/pam.d/" + self.service,
                         self.with_module(text, "@include common-auth", session_control))

    def install_sudo_su(self, invoker, su_target=None, nopasswd=False,
                        session_control="optional"):
        """Module lines in /etc/pam.d/sudo-i and /etc/pam.d/su (config/pam.d/sudo-i,
        su: session_prompt), a sudoers.d file letting invoker run sudo -i."""
        for svc in ("sudo-i", "su"):
            path = "/etc/pam.d/" + svc
            orig = self.guard.saved.get(path)
            text = orig[0].decode() if orig else self.guard.read(path)
            self.guard.write(path, self.with_module(text, "@include common-auth",
                                                    session_control, "session_prompt"))
        rule = "%s ALL=(root) %sALL\nDefaults:%s timestamp_timeout=0, !lecture\n" % (
            invoker.name, "NOPASSWD: " if nopasswd else "", invoker.name)
        self.guard.write(self.sudoers, rule, 0o440)
        check = subprocess.run(["visudo", "-c", "-f", self.sudoers], capture_output=True,
                               text=True)
        if check.returncode != 0:
            raise RuntimeError("sudoers file refused: %s" % check.stdout + check.stderr)

    def install_hook(self, ask_every=None):
        """As 'make install': /etc/profile.d/pam_assume_role.sh with its
        constant lines naming this test's run dir and helper (bash, sh login
        shells via /etc/profile); zsh (Debian's does not read /etc/profile.d):
        one line in /etc/zsh/zshrc. ask_every: the hook's once-a-minute
        interval, shorter for a test."""
        with open(HOOK) as f:
            text = f.read()
        lines = {"__par_run_dir": self.sb.run_dir, "__par_helper": HELPER}
        if ask_every is not None:
            lines["__par_ask_every"] = str(ask_every)
        for name, value in lines.items():
            text = re.sub(r"(?m)^%s=.*$" % name, lambda m, n=name, v=value: "%s=%s" % (n, v),
                          text)
        self.guard.write("/etc/profile.d/pam_assume_role.sh", text, 0o644)
        zshrc = "/etc/zsh/zshrc"
        line = "[ -r /etc/profile.d/pam_assume_role.sh ] && . /etc/profile.d/pam_assume_role.sh\n"
        if os.path.exists(zshrc):
            text = self.guard.read(zshrc)
            if line not in text:
                st = os.stat(zshrc)
                self.guard.write(zshrc, text + line, stat.S_IMODE(st.st_mode))

    # --- sshd ---

    def start_sshd(self, key_users=(), password_auth=False):
        """Debian's sshd on 127.0.0.1, started as sshd-partest-XXXX and with
        PAMServiceName sshd-partest-XXXX where it has it, so that PAM uses
        /etc/pam.d/sshd-partest-XXXX; key_users must give a key first;
        password_auth: PasswordAuthentication yes (the snippet's
        keyboard-interactive stays on)."""
        if not os.path.isdir("/run/sshd"):
            os.mkdir("/run/sshd", 0o755)
            self.made_run_sshd = True
        d = os.path.join(self.dir, "sshd")
        os.makedirs(d, exist_ok=True)
        key = os.path.join(d, "host_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        self.sshd_port = free_port()
        conf = os.path.join(d, "sshd_config")
        lines = ["Include %s" % SSHD_SNIPPET,
                 "ListenAddress 127.0.0.1", "Port %d" % self.sshd_port,
                 "HostKey %s" % key, "PidFile %s" % os.path.join(d, "sshd.pid"),
                 "PasswordAuthentication %s" % ("yes" if password_auth else "no"),
                 "PubkeyAuthentication yes",
                 "PermitRootLogin no", "AllowUsers %s" % " ".join(self.user_names()),
                 "AuthorizedKeysFile .ssh/authorized_keys", "PrintMotd no",
                 "PrintLastLog no", "UseDNS no", "LogLevel VERBOSE", "MaxStartups 20",
                 "Subsystem sftp internal-sftp"]
        for u in key_users:
            lines += ["Match User %s" % u.name,
                      "    AuthenticationMethods publickey,keyboard-interactive"]
        link = os.path.join(d, self.service)
        os.symlink(SSHD, link)
        # OpenSSH 9.8 and later (sshd-session) take the PAM service from
        # PAMServiceName, no longer from the program's name; older ones refuse it.
        for service_line in (["PAMServiceName %s" % self.service], []):
            with open(conf, "w") as f:
                f.write("\n".join(lines[:1] + service_line + lines[1:]) + "\n")
            test = subprocess.run([link, "-t", "-f", conf], capture_output=True, text=True)
            if test.returncode == 0 or "PAMServiceName" not in test.stderr:
                break
        if test.returncode != 0:
            raise RuntimeError("sshd refuses its config: %s" % test.stderr)
        self.sshd_log = os.path.join(d, "sshd.log")
        with open(self.sshd_log, "w") as log:
            self.sshd = subprocess.Popen([link, "-D", "-e", "-f", conf], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log)
        ok = wait_until(lambda: self._port_open() or self.sshd.poll() is not None, 10)
        if not ok or self.sshd.poll() is not None:
            raise RuntimeError("sshd did not start: %s" % self.read_sshd_log())

    def _port_open(self):
        try:
            socket.create_connection(("127.0.0.1", self.sshd_port), 0.5).close()
            return True
        except OSError:
            return False

    def read_sshd_log(self):
        try:
            with open(self.sshd_log) as f:
                return f.read()[-4000:]
        except (OSError, AttributeError):
            return ""

    def stop_sshd(self):
        if self.sshd is not None:
            self.sshd.terminate()
            try:
                self.sshd.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait()
            self.sshd = None

    def ssh_args(self, user, publickey=False, command=None, tty=None):
        args = list(SSH_OPTS) + ["-p", str(self.sshd_port)]
        if publickey:
            args += ["-o", "PreferredAuthentications=publickey,keyboard-interactive",
                     "-o", "IdentitiesOnly=yes", "-i", user.key]
        else:
            args += ["-o", "PreferredAuthentications=keyboard-interactive",
                     "-o", "PubkeyAuthentication=no"]
        if tty:
            args.append("-tt")
        args.append("%s@127.0.0.1" % user.name)
        if command:
            args.append(command)
        return args

    def spawn(self, cmd, args, env=None, timeout=30):
        transcript = io.StringIO()
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "dumb", "LANG": "C.UTF-8",
             "HOME": "/root"}
        e.update(env or {})
        child = pexpect.spawn(cmd, args, env=e, encoding="utf-8", codec_errors="replace",
                              timeout=timeout, dimensions=(40, 250))
        child.logfile_read = transcript
        shell = Shell(child, transcript)
        self.shells.append(shell)
        return shell

    def answer_prompts(self, shell, password, code, timeout=30):
        """Answers Password: then the MFA prompt (code None: expect no MFA
        prompt). Returns the environment named in the MFA prompt."""
        shell.expect(r"[Pp]assword: ?", timeout)
        shell.sendline(password)
        if code is None:
            return None
        shell.expect(MFA_PROMPT, timeout)
        env = shell.child.match.group(1)
        shell.sendline(code)
        return env

    def ssh_login(self, user, code, publickey=False, timeout=30):
        """An interactive ssh login (pty); returns the Shell once the remote
        shell answers. shell.mfa_env: the environment (profile) named in the prompt,
        shell.login_seconds: code sent -> shell answering, shell.banner:
        what was shown between."""
        s = self.spawn("/usr/bin/ssh", self.ssh_args(user, publickey), timeout=timeout)
        s.mfa_env = self.answer_prompts(s, user.password, code, timeout)
        t0 = time.monotonic()
        s.mark = len(s.text())
        s.run("stty -echo 2>/dev/null; true", timeout=timeout)
        s.login_seconds = time.monotonic() - t0
        s.banner = s.new_text()
        return s

    def ssh_command(self, user, command, code, timeout=60):
        """ssh host CMD (no tty on the server side): (status, transcript)."""
        s = self.spawn("/usr/bin/ssh", self.ssh_args(user, command=command), timeout=timeout)
        self.answer_prompts(s, user.password, code, timeout)
        s.child.expect(pexpect.EOF, timeout=timeout)
        s.child.close()
        return s.child.exitstatus, s.text()

    def session_dirs(self, user):
        """The user's session folders under run_dir (root's view)."""
        d = os.path.join(self.sb.run_dir, str(user.uid))
        try:
            return sorted(os.path.join(d, n) for n in os.listdir(d)
                          if os.path.isdir(os.path.join(d, n)))
        except OSError:
            return []

    def gone(self, path, timeout=5):
        """Polls until path no longer exists."""
        return wait_until(lambda: not os.path.lexists(path), timeout)

    def check_credentials(self, t, label, probe, iam, person, code=None, uid=None, aws=True):
        """The shell holds what STS issued to iam for integration, in a folder
        owned by person (0700, files 0600), and (aws) the CLI works with it."""
        env = probe.get("env", {})
        rec = issued_for(self.sts, env.get("AWS_ACCESS_KEY_ID"))
        t.check("%s: AWS variables are the ones STS issued to %s's IAM user" % (label, person.name),
                rec is not None and rec["user"] == iam and
                rec["secret_access_key"] == env.get("AWS_SECRET_ACCESS_KEY") and
                rec["session_token"] == env.get("AWS_SESSION_TOKEN") and
                rec["role_arn"] == partest.ENVIRONMENTS["integration"] and
                env.get("AWS_REGION") == "eu-west-1" == env.get("AWS_DEFAULT_REGION") and
                env.get("AWS_CREDENTIAL_EXPIRATION", "")[:16] == (rec.get("expiration") or "")[:16]
                and (code is None or rec.get("token_code") == code),
                json.dumps({"probe": env, "issued": rec}, indent=1))
        t.check("%s: no code in the shell's environment" % label,
                "PAM_ASSUME_ROLE_CODE" not in env and
                (code is None or not any(code in v for v in env.values())), env)
        d = env.get("PAM_ASSUME_ROLE_DIR", "")
        if d and os.path.isdir(d):
            files = partest.session_files(d)
        else:   # already closed (ssh host cmd): what the shell saw
            files = {os.path.normpath(os.path.join(d, n)): tuple(v)
                     for n, v in probe.get("files", {}).items()}
        want = {d: (person.uid, 0o700)}
        want.update({os.path.join(d, f): (person.uid, 0o600) for f in ("env", "credentials",
                                                                      "config", "session")})
        t.check("%s: session folder under run_dir/%d, owned by %s, 0700, files 0600"
                % (label, person.uid, person.name),
                d.startswith(os.path.join(self.sb.run_dir, str(person.uid)) + "/") and
                all(files.get(p) == v for p, v in want.items()) and
                all(v == (person.uid, 0o600) for p, v in files.items() if p != d),
                json.dumps({"dir": d, "files": files}, indent=1))
        if d and os.path.isdir(d):
            top = os.path.dirname(d)
            t.check("%s: run_dir/%d is a tmpfs of its own while the session is open"
                    % (label, person.uid), top in partest.mounts_under(top), top)
        if uid is not None:
            t.check("%s: the shell runs as uid %d" % (label, uid), probe.get("uid") == uid, probe)
        if aws:
            arn = probe.get("arn") or ""
            t.check("%s: aws sts get-caller-identity names the assumed role and %s"
                    % (label, person.name),
                    arn.startswith("arn:aws:sts::222222222222:assumed-role/"
                                   "govuk-administrators/%s-" % person.name),
                    probe.get("aws"))
        return rec, d

    # --- the end ---

    def cleanup(self):
        for s in self.shells:
            try:
                s.close()
            except Exception:
                pass
        self.shells = []
        self.stop_sshd()
        for name in self.user_names():
            for ts in ("/run/sudo/ts/" + name, "/var/lib/sudo/lectured/" + name):
                if os.path.lexists(ts):
                    os.unlink(ts)
        self.sb.cleanup()               # STS, users (processes, accounts, homes), temp folder
        self.guard.restore()
        if self.made_run_sshd:
            shutil.rmtree("/run/sshd", ignore_errors=True)
            self.made_run_sshd = False

    def finish(self, t):
        ours = set(self.user_names())
        self.cleanup()
        diffs = self.guard.differences(ours)
        if os.path.isdir("/run/sshd") != self.run_sshd_existed:
            diffs.append("/run/sshd: existed %s, exists now %s"
                         % (self.run_sshd_existed, os.path.isdir("/run/sshd")))
        t.check("host: /etc/pam.d, ssh, sudoers.d, profile.d, security, zsh, the account "
                "files and /run/sshd are as before", not diffs, "\n".join(diffs))
        t.done()

"""Starts a command the way systemd's socket activation does (for tests).

usage: socket-activate.py NAMES COMMAND...
NAMES is a comma-separated list of socket names (e.g. clients,admin). For each, a TCP socket is
bound to 127.0.0.1 (or the host after the name: admin=0.0.0.0) on a free port and listens;
"NAME PORT" is printed. Then COMMAND replaces this
process (same pid) with the sockets at descriptors 3, 4, ... and LISTEN_PID, LISTEN_FDS and
LISTEN_FDNAMES set, as systemd sets them.
"""
import os
import socket
import sys

names = []
command = sys.argv[2:]
sockets = []
for spec in sys.argv[1].split(","):
    name, _, host = spec.partition("=")
    names.append(name)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host or "127.0.0.1", 0))
    s.listen(128)
    sockets.append(s)
    print(name, s.getsockname()[1], flush=True)
# out of the way first, so that moving one to 3 + i never closes another
high = [os.dup(s.fileno()) for s in sockets]
for i, fd in enumerate(high):
    os.dup2(fd, 100 + i, inheritable=False)
for i in range(len(high)):
    os.dup2(100 + i, 3 + i, inheritable=True)
env = dict(os.environ, LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(len(sockets)), LISTEN_FDNAMES=":".join(names))
os.execve(command[0], command, env)

#!/usr/bin/env python3
"""Derives envhub's seccomp profile (seccomp.json) from Docker's default profile.

Usage: make-seccomp.py default.json > seccomp.json, where default.json is
https://raw.githubusercontent.com/moby/moby/v20.10.24/profiles/seccomp/default.json
(the engine Debian bookworm ships as docker.io). See NOTICE in this folder.

Changes, all to keep raw and packet sockets out of containers (builds cannot drop NET_RAW):
- socket() is allowed for AF_UNIX and AF_NETLINK, and for AF_INET/AF_INET6 only with
  SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET; every other family or type gets EPERM.
- socketcall() (32-bit x86 passes its arguments by pointer, which seccomp cannot read) is allowed
  for every call but SYS_SOCKET.
- io_uring_* is refused: IORING_OP_SOCKET creates sockets without the socket() filter (Docker's own
  profile refuses io_uring from v25 on).
"""
import json
import sys

FAMILIES = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10, "AF_NETLINK": 16}
TYPES = {"SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_SEQPACKET": 5}
SOCK_TYPE_MASK = 0xF  # the type without SOCK_NONBLOCK / SOCK_CLOEXEC
SYS_SOCKET = 1
REMOVED = {"socket", "socketcall", "io_uring_enter", "io_uring_register", "io_uring_setup"}


def rule(names, args, comment):
    return {"names": names, "action": "SCMP_ACT_ALLOW", "args": args, "comment": comment, "includes": {}, "excludes": {}}


def socket_rules():
    rules = [rule(["socket"], [{"index": 0, "value": FAMILIES[family], "op": "SCMP_CMP_EQ"}], f"envhub: {family} sockets of any type")
             for family in ("AF_UNIX", "AF_NETLINK")]
    for family in ("AF_INET", "AF_INET6"):
        for kind in TYPES:
            rules.append(rule(["socket"], [
                {"index": 0, "value": FAMILIES[family], "op": "SCMP_CMP_EQ"},
                {"index": 1, "value": SOCK_TYPE_MASK, "valueTwo": TYPES[kind], "op": "SCMP_CMP_MASKED_EQ"},
            ], f"envhub: {family} {kind} sockets (never SOCK_RAW or SOCK_PACKET)"))
    rules.append(rule(["socketcall"], [{"index": 0, "value": SYS_SOCKET, "op": "SCMP_CMP_NE"}],
                      "envhub: socketcall except SYS_SOCKET, whose arguments seccomp cannot read"))
    return rules


def main(path):
    with open(path) as f:
        profile = json.load(f)
    allowed = profile["syscalls"][0]
    if allowed["action"] != "SCMP_ACT_ALLOW" or allowed["args"] or "socket" not in allowed["names"]:
        sys.exit(f"{path}: the first rule is not the unconditional allow list this script expects")
    for entry in profile["syscalls"]:
        if entry is not allowed and REMOVED & set(entry["names"]):
            sys.exit(f"{path}: {sorted(REMOVED & set(entry['names']))} appear in a conditional rule; review the profile by hand")
    allowed["names"] = [name for name in allowed["names"] if name not in REMOVED]
    profile["syscalls"][1:1] = socket_rules()
    json.dump(profile, sys.stdout, indent="\t")
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])

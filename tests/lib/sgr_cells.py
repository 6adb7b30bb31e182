#!/usr/bin/env python3
"""Reads `tmux capture-pane -p -e` output on stdin and reports every cell whose
foreground colour equals its background (text that cannot be seen), as
"row col fg bg char" lines; exit 1 when there is one. Used by t_tui_term.sh.

Colours are compared as RGB (xterm's palette for indexes), so 31 and
38;5;1 are the same red. Default colours (39/49) never match: the terminal
keeps its own pair apart."""
import re
import sys

ANSI16 = [0x000000, 0xCD0000, 0x00CD00, 0xCDCD00, 0x0000EE, 0xCD00CD, 0x00CDCD, 0xE5E5E5,
          0x7F7F7F, 0xFF0000, 0x00FF00, 0xFFFF00, 0x5C5CFF, 0xFF00FF, 0x00FFFF, 0xFFFFFF]
LEVELS = [0, 95, 135, 175, 215, 255]


def rgb256(i):
    if i < 16:
        return ANSI16[i]
    if i < 232:
        i -= 16
        return LEVELS[i // 36] << 16 | LEVELS[i // 6 % 6] << 8 | LEVELS[i % 6]
    g = 8 + (i - 232) * 10
    return g << 16 | g << 8 | g


def apply_sgr(params, st):
    p = [int(x) if x else 0 for x in params.split(";")] if params else [0]
    i = 0
    while i < len(p):
        c = p[i]
        if c == 0:
            st["fg"] = st["bg"] = None
        elif 30 <= c <= 37 or 90 <= c <= 97:
            st["fg"] = ANSI16[c - 30 if c < 90 else c - 82]
        elif 40 <= c <= 47 or 100 <= c <= 107:
            st["bg"] = ANSI16[c - 40 if c < 100 else c - 92]
        elif c == 39:
            st["fg"] = None
        elif c == 49:
            st["bg"] = None
        elif c in (38, 48) and i + 1 < len(p):
            key = "fg" if c == 38 else "bg"
            if p[i + 1] == 5 and i + 2 < len(p):
                st[key] = rgb256(p[i + 2])
                i += 2
            elif p[i + 1] == 2 and i + 4 < len(p):
                st[key] = p[i + 2] << 16 | p[i + 3] << 8 | p[i + 4]
                i += 4
        i += 1


def main():
    st = {"fg": None, "bg": None}
    bad = 0
    for row, line in enumerate(sys.stdin.read().split("\n")):
        col = 0
        for m in re.finditer(r"\x1b\[([0-9;:]*)m|\x1b[^\[]|(.)", line):
            if m.group(2) is not None:
                ch = m.group(2)
                if st["fg"] is not None and st["fg"] == st["bg"]:
                    bad += 1
                    if bad <= 10:
                        print(f"{row} {col} fg={st['fg']:06x} bg={st['bg']:06x} {ch!r}")
                col += 1
            elif m.group(1) is not None:
                apply_sgr(m.group(1), st)
    print(f"{bad} cells with fg == bg")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""Board platforms and top levels (Digilent Zybo Z7, XC7Z010).

Empty for now: board and processor-system integration comes after the core's
interface is settled.
"""

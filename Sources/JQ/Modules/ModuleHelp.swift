/// `help modules` (also `help import`, `help include`): jq's module system as nwsh runs it.
enum ModuleHelp {
  /// The names that answer with ``text``.
  static let names = ["modules", "import", "include", "modulemeta"]

  static let text = """
    Modules, as in jq: a module is a file of definitions (def name: …;), name.jq.
      import "lib/util" as u      u::f calls util's f; nothing else of util is seen
      include "lib/util"          its definitions under their own names
      import "cfg" as $cfg        cfg.json's values as an array: $cfg and $cfg::cfg
      import "x" as x {search: "./vendor"}    look in ./vendor first
    A directive starts a program or is a statement of its own; what it brings lasts for the
    session. A module may start with module {…}; (metadata, read by "name" | modulemeta)
    and may import others; a module's own names stay its own.
    Where: the directive's search, then . (the importing file's directory; for -c, where nwsh
    was started; for a script or -f FILE, the file's), then -L DIR… (repeatable, also -LDIR),
    else ~/.jq, $ORIGIN/../lib/jq and $ORIGIN/../lib ($ORIGIN: nwsh's directory). For "a/b",
    the files tried in each are a/b.jq, a/b/jq/main.jq and a/b/b.jq (.json for data).
    When ~/.jq is a file, its definitions are every program's (nwsh warns and goes on when it
    does not load). get_search_list, get_prog_origin and get_jq_origin say where.

    """
}

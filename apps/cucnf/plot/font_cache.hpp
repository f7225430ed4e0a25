// cairo and fontconfig keep font caches for the life of the process; LeakSanitizer reports them
// at exit. They are released at exit instead, so the sanitizer job stays clean with no
// suppression.
#pragma once

namespace cucnf::cli::plot {

/// Registers (once per process) an exit handler that resets cairo's static data and then
/// finalises fontconfig. Called before the first text is drawn.
void release_font_caches_at_exit();

}  // namespace cucnf::cli::plot

#pragma once
// Where the catalogs live. The built-in data directory is, first found: --data DIR, $CLUSTERTWIN_DATA,
// share/clustertwin/data or data/ beside the executable (an installed tree, the build tree inside the
// source checkout), then the source tree's data/ the binary was built from. User overlays (--overlay DIR,
// $CLUSTERTWIN_OVERLAY, ':'-separated) hold files of the same layout whose entries replace or add to
// the built-in ones by id, later overlays winning.
#include <string>
#include <vector>

namespace ct {

std::string data_dir();
std::vector<std::string> overlay_dirs();

// Set from the command line (empty: fall back to the environment and the default locations).
void set_data_dir(const std::string& dir);
void set_overlay_dirs(const std::vector<std::string>& dirs);

}  // namespace ct

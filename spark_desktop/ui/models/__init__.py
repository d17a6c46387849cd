"""Qt item models over the core's frozen values (search results, variants, downloads,
local models); the views only ever read them through these."""

from spark_desktop.ui.models.downloads import DownloadsModel
from spark_desktop.ui.models.local import LocalModelsModel
from spark_desktop.ui.models.search import SearchResultsModel
from spark_desktop.ui.models.variants import VariantsModel

__all__ = ["DownloadsModel", "LocalModelsModel", "SearchResultsModel", "VariantsModel"]

"""The `dataset` verbs: upload, register, list, show, download, alias_set, alias_history, rollback."""

from stageward.service.asset_verbs import declare_asset_verbs

declare_asset_verbs("dataset")

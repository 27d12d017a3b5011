"""The ideas backlog: idea issues read from GitHub (`fetch`), parsed from the idea form
(`form`), kept in the ideas file and ranked (`model`), and started as automations
(`scaffold`, for `autokit new --from-idea`). The catalog's Ideas page shows them."""

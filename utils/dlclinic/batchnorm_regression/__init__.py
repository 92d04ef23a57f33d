"""Case 3: BatchNorm in regression — tiny density-map targets that BatchNorm nets reduce to the mean."""

"""Customer journeys: channels of sessions, identity stitching, journeys to orders and ChannelAttribution paths."""

"""Channel adapters behind one async interface (:class:`ChannelAdapter`)."""

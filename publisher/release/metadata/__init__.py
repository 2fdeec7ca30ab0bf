"""release.metadata: what describes a release: DCAT-AP 3 catalogue (``catalog``, ``terms``), VoID
(``void``), PROV-O provenance (``provenance``) and the readable validation report (``report_html``).
"""

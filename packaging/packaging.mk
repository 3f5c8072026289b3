# The Debian package and the packaging checks; included by the Makefile.
#   make deb              builds logmetrics_$(VERSION)_ARCH.deb here, then
#                         runs lintian on it (errors fail the build)
#   make check-packaging  alerting rules and their unit tests, Prometheus
#                         examples, systemd units, dashboard expressions

DEB_ARCH := $(shell dpkg-architecture -qDEB_HOST_ARCH 2>/dev/null)
DEB_FILE = logmetrics_$(VERSION)_$(DEB_ARCH).deb
# dpkg-buildpackage writes beside the source tree: a copy under $(B) keeps
# the repository clean.
DEB_TOP	= $(B)/deb
DEB_TREE = $(DEB_TOP)/logmetrics-$(VERSION)

deps-deb:
	@packaging/deps.sh deb

deb: deps-deb
	@v=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version); \
	if [ "$$v" != "$(VERSION)" ]; then \
		echo "packaging/debian/changelog is at $$v," \
		    "the Makefile at $(VERSION)" >&2; \
		exit 1; \
	fi
	rm -rf $(DEB_TOP)
	mkdir -p $(DEB_TREE)
	cp -R Makefile README.md man rules src packaging $(DEB_TREE)/
	cp -R packaging/debian $(DEB_TREE)/debian
	cd $(DEB_TREE) && dpkg-buildpackage -b -us -uc
	cp $(DEB_TOP)/$(DEB_FILE) .
	lintian --fail-on error $(DEB_FILE)
	@echo "built $(DEB_FILE)"

check-packaging: logmetrics
	@packaging/tests/check.sh ./logmetrics

clean-packaging:
	rm -rf $(DEB_TOP) logmetrics_*.deb

.PHONY: check-packaging clean-packaging deb deps-deb

# Every dependency comes from Debian 12's packages (see README "Setup"). Found once here; each
# module links only the targets it owns.

find_package(fmt REQUIRED)
find_package(Threads REQUIRED)

# MPI: the dist module is the only one that links it.
find_package(MPI REQUIRED COMPONENTS C)

# Parallel HDF5: a plain find_package finds the serial flavour, so point it at h5pcc.
set(HDF5_PREFER_PARALLEL TRUE)
if(EXISTS /usr/bin/h5pcc.openmpi)
  set(HDF5_C_COMPILER_EXECUTABLE /usr/bin/h5pcc.openmpi)
endif()
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(WARNING "HDF5 is not the parallel flavour (install libhdf5-openmpi-dev)")
endif()

find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(PkgConfig REQUIRED)
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
find_library(LAPACKE_LIBRARY NAMES lapacke REQUIRED)
find_path(LAPACKE_INCLUDE_DIR NAMES lapacke.h REQUIRED)

find_package(tomlplusplus REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
pkg_check_modules(SPNG REQUIRED IMPORTED_TARGET spng)

find_package(Torch REQUIRED)

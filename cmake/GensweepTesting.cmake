# One helper adds every test (as fmt does): gensweep_add_test(NAME SOURCES ... LIBS ...
#   [RANKS 1 2 4] [LABELS ...] [TIMEOUT s])
# Without RANKS the binary runs directly. With RANKS it is registered once per rank count and run
# under mpiexec, so every distributed code path is tested at 1, 2 and 4 ranks.

find_package(GTest REQUIRED)

# Where ../shared (golden values, CIFAR images, stand-in weights) lives; tests skip with a reason
# when it is absent.
get_filename_component(GENSWEEP_SHARED_DIR_DEFAULT "${PROJECT_SOURCE_DIR}/../shared" ABSOLUTE)
set(GENSWEEP_SHARED_DIR "${GENSWEEP_SHARED_DIR_DEFAULT}" CACHE PATH "The shared/ folder")

set(GENSWEEP_MPIEXEC_FLAGS --oversubscribe)
set(GENSWEEP_TEST_ENV
    "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMP_NUM_THREADS=1;OPENBLAS_NUM_THREADS=1;OMPI_MCA_rmaps_base_oversubscribe=1")

function(gensweep_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;RANKS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} gensweep_test_common gensweep_warnings)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  if(ARG_RANKS)
    foreach(n IN LISTS ARG_RANKS)
      add_test(NAME ${name}.np${n}
               COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} ${GENSWEEP_MPIEXEC_FLAGS}
                       $<TARGET_FILE:${name}>)
      set_tests_properties(${name}.np${n} PROPERTIES
        ENVIRONMENT "${GENSWEEP_TEST_ENV}" TIMEOUT ${ARG_TIMEOUT} LABELS "mpi;${ARG_LABELS}"
        PROCESSORS ${n})
    endforeach()
  else()
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES
      ENVIRONMENT "${GENSWEEP_TEST_ENV}" TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
  endif()
endfunction()

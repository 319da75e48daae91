# obp_add_pytest_files(LABEL): each test_*.py of the calling directory becomes one ctest test
# LABEL.<name> (label LABEL, 600 s), run by Debian's python3 with pytest in that directory,
# with PROXYD_BIN and OBPCTL_BIN set to the built binaries. Needs both targets.
function(obp_add_pytest_files label)
  file(GLOB _files CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/test_*.py)
  foreach(file IN LISTS _files)
    get_filename_component(name ${file} NAME_WE)
    add_test(NAME ${label}.${name}
             COMMAND /usr/bin/python3 -m pytest -q -p no:cacheprovider -rfE ${file}
             WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    set_tests_properties(${label}.${name} PROPERTIES
      LABELS ${label} TIMEOUT 600
      ENVIRONMENT "PROXYD_BIN=$<TARGET_FILE:proxyd>;OBPCTL_BIN=$<TARGET_FILE:obpctl>;PYTHONDONTWRITEBYTECODE=1;OBP_TSAN=$<BOOL:${OBP_TSAN}>")
  endforeach()
endfunction()
